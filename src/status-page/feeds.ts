import { Feed } from 'feed';
import { html } from 'hono/html';
import type { PublicIncident, StatusData } from './data.ts';
import { pathIn, type PageContext } from './html.ts';
import type { PublicUpdate } from './data.ts';
import { type PublicMaintenance, renderMaintenanceNotice } from './maintenance.ts';
import { bodyIn, incidentImpact, originalLabel } from './view.ts';

/** An update's text for a feed in `lang`: untranslated source text under its label (原文（英語）:), as on the page. */
function labelledBody(u: PublicUpdate, ctx: PageContext): string {
  const label = originalLabel(u, ctx.lang, ctx.i18n.t(ctx.lang));
  return label === undefined ? bodyIn(u, ctx.lang) : `${label} ${u.body}`;
}

/** Entries per feed: the most recent incidents, as Statuspage's feeds do. */
const MAX_ENTRIES = 25;

/**
 * An incident's entry id: derived from its id only, so it stays the same when updates are
 * added or a translation is edited (readers then show it as updated, not as new).
 */
export function entryId(publicUrl: string, incidentId: string): string {
  return `${publicUrl}/status/incidents/${incidentId}#entry`;
}

function entryContent(incident: PublicIncident, ctx: PageContext): string {
  const t = ctx.i18n.t(ctx.lang);
  // The html helper escapes every text; feed readers receive HTML with no markup of the authors'.
  return html`${incident.updates.map(
    (u) =>
      html`<p><strong>${t(`common:status.${u.status}`)}</strong> · ${ctx.i18n.formatDateTime(u.publishedAt, ctx.lang, ctx.zone, 'fullDateTime')}<br>${labelledBody(u, ctx)}</p>`,
  )}`.toString();
}

/** A maintenance's entry id: like an incident's, stable across its notices. */
export function maintenanceEntryId(publicUrl: string, maintenanceId: string): string {
  return `${publicUrl}/status/maintenance/${maintenanceId}#entry`;
}

/** Every notice of a maintenance, newest first, in the feed's language and zone. */
function maintenanceContent(m: PublicMaintenance, ctx: PageContext): string {
  const t = ctx.i18n.t(ctx.lang);
  return html`${m.notices.map(
    (n) =>
      html`<p><strong>${t(`public:maintenance.kind.${n.kind}`)}</strong> · ${ctx.i18n.formatDateTime(n.createdAt, ctx.lang, ctx.zone, 'fullDateTime')}<br>${renderMaintenanceNotice(ctx.i18n, ctx.lang, ctx.zone, m, n)}</p>`,
  )}`.toString();
}

/**
 * The feed library writes titles and summaries as `type="html"` (CDATA in RSS), which
 * readers render as HTML: user text must arrive there escaped.
 */
export function escapeText(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** Text for XML character data: the one escaping a feed title gets. */
function xmlText(text: string): string {
  return text.replace(/[&<>]/g, (ch) => (ch === '&' ? '&amp;' : ch === '<' ? '&lt;' : '&gt;'));
}

// The library writes entry titles as CDATA marked `type="html"`, so a reader would take
// "<EU>" for markup, and pre-escaping it shows "&#60;EU&#62;" in readers that do not decode
// (rss-parser, feedparser). Titles go in as these markers and are then written as plain
// text, escaped once: `type="text"` in Atom, character data in RSS.
const TITLE_MARK = /\uE000(\d+)\uE001/;
const titleMark = (index: number) => `\uE000${index}\uE001`;

function buildFeed(data: StatusData, ctx: PageContext): { feed: Feed; titles: string[] } {
  const t = ctx.i18n.t(ctx.lang);
  const home = `${ctx.publicUrl}${pathIn('/status', ctx.lang)}`;
  const feed = new Feed({
    id: home,
    title: t('public:feed.title', { title: t('public:page.title') }),
    description: t('public:feed.description'),
    link: home,
    language: ctx.lang,
    updated: data.updatedAt.getTime() > 0 ? data.updatedAt : data.readAt,
    generator: 'tsuiki',
    copyright: '',
    // RFC 4287 §4.1.1: an Atom feed MUST have an author (here for every entry): the page itself.
    author: { name: t('public:page.title'), link: home },
    feedLinks: {
      atom: `${ctx.publicUrl}${pathIn('/status/feed.atom', ctx.lang)}`,
      rss: `${ctx.publicUrl}${pathIn('/status/feed.rss', ctx.lang)}`,
    },
  });
  const titles: string[] = [];
  // Incidents and maintenances together, newest first by when each began; the most recent MAX_ENTRIES.
  const entries = [
    ...data.incidents.map((incident) => ({ at: incident.createdAt, incident })),
    ...(data.maintenances ?? []).map((maintenance) => ({ at: maintenance.createdAt, maintenance })),
  ]
    .sort((a, b) => b.at.getTime() - a.at.getTime())
    .slice(0, MAX_ENTRIES);
  for (const entry of entries) {
    if ('maintenance' in entry) {
      const m = entry.maintenance;
      const latest = m.notices[0];
      titles.push(t('public:maintenance.feedTitle', { title: m.title }));
      feed.addItem({
        title: titleMark(titles.length - 1),
        id: maintenanceEntryId(ctx.publicUrl, m.id),
        guid: maintenanceEntryId(ctx.publicUrl, m.id),
        link: `${ctx.publicUrl}${pathIn(`/status/maintenance/${m.id}`, ctx.lang)}`,
        date: m.updatedAt,
        published: m.createdAt,
        description: escapeText(`${t(`public:maintenance.status.${m.status}`)}: ${latest ? renderMaintenanceNotice(ctx.i18n, ctx.lang, ctx.zone, m, latest) : m.title}`),
        content: maintenanceContent(m, ctx),
      });
      continue;
    }
    const incident = entry.incident;
    const latest = incident.updates[0]!;
    titles.push(incident.title);
    feed.addItem({
      title: titleMark(titles.length - 1),
      id: entryId(ctx.publicUrl, incident.id),
      guid: entryId(ctx.publicUrl, incident.id),
      link: `${ctx.publicUrl}${pathIn(`/status/incidents/${incident.id}`, ctx.lang)}`,
      date: incident.updatedAt,
      published: incident.createdAt,
      description: escapeText(`${t(`common:status.${incident.publicStatus}`)} · ${t(`public:impactLevel.${incidentImpact(incident)}`)}: ${labelledBody(latest, ctx)}`),
      content: entryContent(incident, ctx),
    });
  }
  return { feed, titles };
}

// XML 1.0 has no way to write C0 controls other than tab, CR and LF, nor U+FFFE/U+FFFF (its
// `Char` production, not even as character references): one in a title would make the whole
// feed unreadable to a strict XML parser, so each becomes U+FFFD.
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

/** Atom 1.0 feed of incidents in one language. */
export function renderAtom(data: StatusData, ctx: PageContext): string {
  // The library writes no xml:lang; Atom readers take the feed's language from it.
  const { feed, titles } = buildFeed(data, ctx);
  return feed
    .atom1()
    .replace(new RegExp(`<title type="html"><!\\[CDATA\\[${TITLE_MARK.source}\\]\\]></title>`, 'g'), (_, i: string) => `<title type="text">${xmlText(titles[Number(i)]!)}</title>`)
    .replace('<feed xmlns="http://www.w3.org/2005/Atom">', `<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="${escapeText(ctx.lang)}">`)
    .replace(NOT_XML, '\uFFFD');
}

/** RSS 2.0 feed of incidents in one language. */
export function renderRss(data: StatusData, ctx: PageContext): string {
  const { feed, titles } = buildFeed(data, ctx);
  return feed
    .rss2()
    .replace(new RegExp(`<title><!\\[CDATA\\[${TITLE_MARK.source}\\]\\]></title>`, 'g'), (_, i: string) => `<title>${xmlText(titles[Number(i)]!)}</title>`)
    .replace(NOT_XML, '\uFFFD');
}
