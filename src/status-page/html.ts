import { html, raw } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { TFunction } from 'i18next';
import type { I18n } from '../i18n.ts';
import type { PublicIncident, PublicUpdate, StatusData } from './data.ts';
import { isActive, isUpcoming, type PublicMaintenance, renderMaintenanceNotice } from './maintenance.ts';
import type { ComponentGroup } from './statuspage-json.ts';
import { STYLE } from './style.ts';
import { bodyIn, originalLabel, type ComponentHistory, componentHistory, componentStatus, type ComponentStatus, incidentImpact, isOpen, nameIn, pageIndicator, worse } from './view.ts';

type Html = HtmlEscapedString;

// hono's `html` escapes every interpolated string (& < > " '); only Html values pass through as markup.
const h = (strings: TemplateStringsArray, ...values: unknown[]): Html => html(strings, ...values) as Html;

/** What every page needs besides the data. */
export interface PageContext {
  lang: string;
  zone: string;
  languages: readonly string[];
  publicUrl: string;
  i18n: I18n;
  /** Offer the subscribe form (email configured). */
  subscriptions: boolean;
  /** Component groups (COMPONENTS_FILE `group:`): members are listed under their group. */
  groups?: readonly ComponentGroup[];
}

const SYMBOL: Record<ComponentStatus, string> = {
  operational: '✓',
  under_maintenance: '⚙',
  degraded_performance: '▲',
  partial_outage: '◆',
  major_outage: '✕',
};
const INDICATOR_STATUS = { none: 'operational', minor: 'degraded_performance', major: 'partial_outage', critical: 'major_outage', maintenance: 'under_maintenance' } as const;

/** A path of the status page in the reader's language, so links keep the language. */
export function pathIn(path: string, lang: string): string {
  return `${path}${path.includes('?') ? '&' : '?'}lang=${encodeURIComponent(lang)}`;
}

function autonym(lang: string): string {
  try {
    return new Intl.DisplayNames([lang], { type: 'language' }).of(lang) ?? lang;
  } catch {
    return lang;
  }
}

function time(at: Date, ctx: PageContext, style: 'dateTime' | 'fullDateTime' = 'fullDateTime'): Html {
  return h`<time datetime="${at.toISOString()}">${ctx.i18n.formatDateTime(at, ctx.lang, ctx.zone, style)}</time>`;
}

function layout(ctx: PageContext, title: string, path: string, body: Html): string {
  const t = ctx.i18n.t(ctx.lang);
  const abs = (lang: string) => `${ctx.publicUrl}${pathIn(path, lang)}`;
  const alternates = ctx.languages.map((l) => h`<link rel="alternate" hreflang="${l}" href="${abs(l)}">`);
  const switcher = ctx.languages.map((l) =>
    l === ctx.lang
      ? h`<li><a href="${pathIn(path, l)}" lang="${l}" hreflang="${l}" aria-current="true">${autonym(l)}</a></li>`
      : h`<li><a href="${pathIn(path, l)}" lang="${l}" hreflang="${l}">${autonym(l)}</a></li>`,
  );
  const page = h`<!doctype html>
<html lang="${ctx.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<meta name="description" content="${t('public:feed.description')} — ${t('public:page.title')}">
<link rel="icon" href="/favicon.ico" sizes="32x32">
<link rel="canonical" href="${abs(ctx.lang)}">
${alternates}
<link rel="alternate" hreflang="x-default" href="${ctx.publicUrl}${path}">
<link rel="alternate" type="application/atom+xml" title="${t('public:feed.atom')}" href="${pathIn('/status/feed.atom', ctx.lang)}">
<link rel="alternate" type="application/rss+xml" title="${t('public:feed.rss')}" href="${pathIn('/status/feed.rss', ctx.lang)}">
<style>${raw(STYLE)}</style>
</head>
<body>
<a class="skip" href="#main">${t('public:page.skip')}</a>
<header class="site">
<p class="brand"><a href="${pathIn('/status', ctx.lang)}">${t('public:page.title')}</a></p>
<nav aria-label="${t('public:page.navigation')}">
<ul>
<li><a href="${pathIn('/status', ctx.lang)}">${t('public:page.current')}</a></li>
<li><a href="${pathIn('/status/history', ctx.lang)}">${t('public:page.history')}</a></li>
</ul>
</nav>
<nav aria-label="${t('public:page.languages')}" class="langs"><ul>${switcher}</ul></nav>
</header>
<main id="main">
${body}
</main>
<footer>
<p>${t('public:page.zoneNote', { zone: ctx.zone })}</p>
<p><a href="${pathIn('/status/feed.atom', ctx.lang)}">${t('public:feed.atom')}</a> · <a href="${pathIn('/status/feed.rss', ctx.lang)}">${t('public:feed.rss')}</a> · <a href="/api/v2/summary.json?lang=${ctx.lang}">JSON</a></p>
</footer>
</body>
</html>
`;
  return page.toString();
}

function badge(status: ComponentStatus, t: TFunction): Html {
  const label = status === 'operational' ? t('common:impact.none') : t(`common:impact.${status}`);
  return h`<span class="badge s-${status}"><span aria-hidden="true">${SYMBOL[status]}</span> ${label}</span>`;
}

/** The update's text in the page's language, or its source text under a label naming that language. */
function updateBody(u: PublicUpdate, ctx: PageContext): Html {
  const label = originalLabel(u, ctx.lang, ctx.i18n.t(ctx.lang));
  if (label === undefined) return h`<p class="update-body">${bodyIn(u, ctx.lang)}</p>`;
  return h`<p class="update-body"><span class="update-original">${label}</span> <span lang="${u.sourceLang}">${u.body}</span></p>`;
}

function updatesList(incident: PublicIncident, ctx: PageContext): Html {
  const t = ctx.i18n.t(ctx.lang);
  return h`<ol class="updates" reversed>${incident.updates.map(
    (u) => h`<li class="update">
<p class="update-head"><strong class="update-status">${t(`common:status.${u.status}`)}</strong> · ${time(u.publishedAt, ctx, 'dateTime')}</p>
${updateBody(u, ctx)}
</li>`,
  )}</ol>`;
}

function incidentArticle(incident: PublicIncident, data: StatusData, ctx: PageContext, headingLevel: 2 | 1): Html {
  const t = ctx.i18n.t(ctx.lang);
  const impact = incidentImpact(incident);
  const affected = data.components.filter((c) => incident.components.some((ic) => ic.id === c.id)).map((c) => nameIn(c, ctx.lang));
  const link = pathIn(`/status/incidents/${incident.id}`, ctx.lang);
  const heading =
    headingLevel === 1 ? h`<h1>${incident.title}</h1>` : h`<h3><a href="${link}">${incident.title}</a></h3>`;
  return h`<article class="incident impact-${impact}" aria-labelledby="inc-${incident.id}">
<div id="inc-${incident.id}">${heading}</div>
<p class="meta"><span class="badge s-${INDICATOR_STATUS[impact]}"><span aria-hidden="true">${SYMBOL[INDICATOR_STATUS[impact]]}</span> ${t('public:incident.impact', { impact: t(`public:impactLevel.${impact}`) })}</span>
 · ${t('public:incident.current', { status: t(`common:status.${incident.publicStatus}`) })}</p>
${affected.length ? h`<p class="meta">${t('public:incident.affected', { components: ctx.i18n.formatList(affected, ctx.lang) })}</p>` : ''}
<p class="meta">${t('public:incident.started')} ${time(incident.startedAt, ctx)}${incident.resolvedAt ? h` · ${t('public:incident.resolved')} ${time(incident.resolvedAt, ctx)}` : ''}</p>
${updatesList(incident, ctx)}
</article>`;
}

/** A maintenance's window, full dates with the zone. */
function maintenanceWindow(m: Pick<PublicMaintenance, 'scheduledFor' | 'scheduledUntil'>, ctx: PageContext): Html {
  return h`${time(m.scheduledFor, ctx)} – ${time(m.scheduledUntil, ctx)}`;
}

/** One maintenance: status, window, components, description and every notice, newest first, in the reader's language and zone. */
function maintenanceArticle(m: PublicMaintenance, data: StatusData, ctx: PageContext, headingLevel: 3 | 1): Html {
  const t = ctx.i18n.t(ctx.lang);
  const link = pathIn(`/status/maintenance/${m.id}`, ctx.lang);
  const heading = headingLevel === 1 ? h`<h1>${m.title}</h1>` : h`<h3><a href="${link}">${m.title}</a></h3>`;
  const affected = data.components.filter((c) => m.components.includes(c.id)).map((c) => nameIn(c, ctx.lang));
  const badgeStatus: ComponentStatus = m.status === 'in_progress' ? 'under_maintenance' : 'operational';
  return h`<article class="incident maintenance m-${m.status}" aria-labelledby="mnt-${m.id}">
<div id="mnt-${m.id}">${heading}</div>
<p class="meta"><span class="badge s-${badgeStatus}"><span aria-hidden="true">${SYMBOL.under_maintenance}</span> ${t(`public:maintenance.status.${m.status}`)}</span>
 · ${raw(t('public:maintenance.windowLine', { window: maintenanceWindow(m, ctx).toString() }))}</p>
${affected.length ? h`<p class="meta">${t('public:incident.affected', { components: ctx.i18n.formatList(affected, ctx.lang) })}</p>` : ''}
<ol class="updates" reversed>${m.notices.map(
    (n) => h`<li class="update">
<p class="update-head"><strong class="update-status">${t(`public:maintenance.kind.${n.kind}`)}</strong> · ${time(n.createdAt, ctx, 'dateTime')}</p>
<p class="update-body">${renderMaintenanceNotice(ctx.i18n, ctx.lang, ctx.zone, m, n)}</p>
</li>`,
  )}</ol>
</article>`;
}

/** The page's maintenance sections: `active` (in progress, verifying) or `upcoming` (scheduled), soonest first; nothing when there is none. */
function maintenanceSection(data: StatusData, ctx: PageContext, which: 'active' | 'upcoming'): Html {
  const t = ctx.i18n.t(ctx.lang);
  const list = (data.maintenances ?? []).filter(which === 'active' ? isActive : isUpcoming).sort((a, b) => a.scheduledFor.getTime() - b.scheduledFor.getTime());
  if (list.length === 0) return h``;
  return h`<section aria-labelledby="maintenance-${which}-heading">
<h2 id="maintenance-${which}-heading">${t(`public:maintenance.${which}`)}</h2>
${list.map((m) => maintenanceArticle(m, data, ctx, 3))}
</section>`;
}

function subscribeForm(data: StatusData, ctx: PageContext): Html {
  if (!ctx.subscriptions) return h``;
  const t = ctx.i18n.t(ctx.lang);
  return h`<section aria-labelledby="subscribe-heading" class="subscribe">
<h2 id="subscribe-heading">${t('public:subscribe.heading')}</h2>
<form method="post" action="${pathIn('/status/subscribe', ctx.lang)}">
<p><label for="sub-email">${t('public:subscribe.email')}</label><br><input id="sub-email" name="email" type="email" required autocomplete="email" maxlength="254"></p>
<p><label for="sub-lang">${t('public:subscribe.language')}</label><br><select id="sub-lang" name="lang">${ctx.languages.map((l) =>
    l === ctx.lang ? h`<option value="${l}" selected>${autonym(l)}</option>` : h`<option value="${l}">${autonym(l)}</option>`,
  )}</select></p>
<p><label for="sub-zone">${t('public:subscribe.zone')}</label><br><input id="sub-zone" name="time_zone" value="${ctx.zone}" maxlength="64" autocomplete="off"></p>
${
  data.components.length
    ? h`<fieldset><legend>${t('public:subscribe.components')}</legend>${data.components.map(
        (c) => h`<label class="check"><input type="checkbox" name="components" value="${c.id}"> ${nameIn(c, ctx.lang)}</label>`,
      )}</fieldset>`
    : ''
}
<p><button type="submit">${t('public:subscribe.submit')}</button></p>
</form>
</section>`;
}

/** The components, each group (worst of its members) with its members listed under it. */
function componentList(data: StatusData, ctx: PageContext): Html {
  const t = ctx.i18n.t(ctx.lang);
  const row = (c: StatusData['components'][number]) => h`<li><span class="name">${nameIn(c, ctx.lang)}</span> ${badge(componentStatus(data, c.id), t)}</li>`;
  const placed = new Set<string>();
  const items: Html[] = [];
  for (const c of data.components) {
    const group = ctx.groups?.find((g) => g.components.includes(c.id));
    if (!group) {
      items.push(row(c));
      continue;
    }
    if (placed.has(group.id)) continue;
    placed.add(group.id);
    const members = data.components.filter((m) => group.components.includes(m.id));
    const status = members.map((m) => componentStatus(data, m.id)).reduce<ComponentStatus>(worse, 'operational');
    items.push(h`<li class="group"><span class="name">${nameIn(group, ctx.lang)}</span> ${badge(status, t)}<ul class="components">${members.map(row)}</ul></li>`);
  }
  return h`<ul class="components">${items}</ul>`;
}

/** `GET /status`: overall banner, components, open incidents with every public update. */
export function renderStatusPage(data: StatusData, ctx: PageContext): string {
  const t = ctx.i18n.t(ctx.lang);
  const indicator = pageIndicator(data);
  const open = data.incidents.filter(isOpen);
  const body = h`<section class="banner s-${INDICATOR_STATUS[indicator]}" aria-labelledby="overall">
<h1 id="overall"><span aria-hidden="true">${SYMBOL[INDICATOR_STATUS[indicator]]}</span> ${t(`public:indicator.${indicator}`)}</h1>
<p>${t('public:page.updated')} ${time(data.updatedAt.getTime() > 0 ? data.updatedAt : data.readAt, ctx, 'dateTime')}</p>
</section>
${maintenanceSection(data, ctx, 'active')}
<section aria-labelledby="incidents-heading">
<h2 id="incidents-heading">${t('public:incident.heading')}</h2>
${open.length ? open.map((i) => incidentArticle(i, data, ctx, 2)) : h`<p>${t('public:incident.none')}</p>`}
</section>
${maintenanceSection(data, ctx, 'upcoming')}
<section aria-labelledby="components-heading">
<h2 id="components-heading">${t('public:component.heading')}</h2>
${
  data.components.length ? componentList(data, ctx) : h`<p>${t('public:component.none')}</p>`
}
<p><a href="${pathIn('/status/history', ctx.lang)}">${t('public:history.link')}</a></p>
</section>
${subscribeForm(data, ctx)}`;
  return layout(ctx, t('public:page.title'), '/status', body);
}

/** `GET /status/incidents/:id`; undefined when the incident is not on the page. */
export function renderIncidentPage(data: StatusData, ctx: PageContext, id: string): string | undefined {
  const incident = data.incidents.find((i) => i.id === id);
  if (!incident) return undefined;
  const t = ctx.i18n.t(ctx.lang);
  const body = h`${incidentArticle(incident, data, ctx, 1)}
<p><a href="${pathIn('/status', ctx.lang)}">${t('public:incident.back')}</a></p>`;
  return layout(ctx, `${incident.title} — ${t('public:page.title')}`, `/status/incidents/${incident.id}`, body);
}

/** `GET /status/maintenance/:id`; undefined when the maintenance is not on the page (private, cancelled, unknown). */
export function renderMaintenancePage(data: StatusData, ctx: PageContext, id: string): string | undefined {
  const m = data.maintenances?.find((x) => x.id === id);
  if (!m) return undefined;
  const t = ctx.i18n.t(ctx.lang);
  const body = h`${maintenanceArticle(m, data, ctx, 1)}
<p><a href="${pathIn('/status', ctx.lang)}">${t('public:incident.back')}</a></p>`;
  return layout(ctx, `${m.title} — ${t('public:page.title')}`, `/status/maintenance/${m.id}`, body);
}

/** A page saying one thing (subscription results, not found). */
export function renderMessagePage(ctx: PageContext, title: string, message: string, extra: Html | string = ''): string {
  const t = ctx.i18n.t(ctx.lang);
  return layout(
    ctx,
    `${title} — ${t('public:page.title')}`,
    '/status',
    h`<h1>${title}</h1><p>${message}</p>${extra}<p><a href="${pathIn('/status', ctx.lang)}">${t('public:incident.back')}</a></p>`,
  );
}

/** The unsubscribe confirmation: a form, so a mail scanner following the link unsubscribes nobody. */
export function renderUnsubscribeForm(ctx: PageContext, token: string): string {
  const t = ctx.i18n.t(ctx.lang);
  return renderMessagePage(
    ctx,
    t('public:subscribe.unsubscribeHeading'),
    t('public:subscribe.unsubscribeAsk'),
    h`<form method="post" action="${pathIn('/status/unsubscribe', ctx.lang)}"><input type="hidden" name="token" value="${token}"><button type="submit">${t('public:subscribe.unsubscribeButton')}</button></form>`,
  );
}

function historyRow(history: ComponentHistory, ctx: PageContext): Html {
  const t = ctx.i18n.t(ctx.lang);
  const name = nameIn(history.component, ctx.lang);
  const percent = new Intl.NumberFormat(ctx.lang, { style: 'percent', maximumFractionDigits: 2, minimumFractionDigits: 2 }).format(history.uptime);
  const impacted = history.days.filter((d) => d.worst !== 'operational');
  const label = (status: ComponentStatus) => (status === 'operational' ? t('common:impact.none') : t(`common:impact.${status}`));
  return h`<section class="history" aria-label="${name}">
<h2>${name} <span class="uptime">${t('public:history.uptime', { percent })}</span></h2>
<ol class="bars" aria-hidden="true">${history.days.map(
    (d) => h`<li class="bar s-${d.worst}" title="${ctx.i18n.formatDateTime(d.start, ctx.lang, ctx.zone, 'date')}: ${label(d.worst)}"></li>`,
  )}</ol>
<p class="bar-axis" aria-hidden="true"><span>${t('public:history.daysAgo', { days: history.days.length })}</span><span>${t('public:history.today')}</span></p>
${
  impacted.length
    ? h`<ul class="impact-days">${impacted.map(
        (d) => h`<li>${ctx.i18n.formatDateTime(d.start, ctx.lang, ctx.zone, 'date')}: ${badge(d.worst, t)} ${d.incidents.map(
          (i) => h` <a href="${pathIn(`/status/incidents/${i.id}`, ctx.lang)}">${i.title}</a>`,
        )}</li>`,
      )}</ul>`
    : h`<p class="impact-days">${t('public:history.noImpact', { days: history.days.length })}</p>`
}
</section>`;
}

/** `GET /status/history`: 90-day uptime bars per component, and past incidents. */
export function renderHistoryPage(data: StatusData, ctx: PageContext): string {
  const t = ctx.i18n.t(ctx.lang);
  const histories = componentHistory(data, ctx.zone);
  const days = histories[0]?.days.length ?? 90;
  const legend: ComponentStatus[] = ['operational', 'degraded_performance', 'partial_outage', 'major_outage'];
  const past = data.incidents.filter((i) => !isOpen(i));
  const pastMaintenance = (data.maintenances ?? []).filter((m) => m.status === 'completed');
  const body = h`<h1>${t('public:history.heading', { days })}</h1>
<ul class="legend" aria-label="${t('public:history.legend')}">${legend.map(
    (s) => h`<li><span class="bar s-${s}" aria-hidden="true"></span> ${badge(s, t)}</li>`,
  )}</ul>
${histories.length ? histories.map((x) => historyRow(x, ctx)) : h`<p>${t('public:component.none')}</p>`}
<section aria-labelledby="past-heading">
<h2 id="past-heading">${t('public:history.past')}</h2>
${
  past.length
    ? h`<ul class="past">${past.map(
        (i) =>
          h`<li><a href="${pathIn(`/status/incidents/${i.id}`, ctx.lang)}">${i.title}</a> · ${time(i.startedAt, ctx, 'dateTime')} · ${t(`public:impactLevel.${incidentImpact(i)}`)}</li>`,
      )}</ul>`
    : h`<p>${t('public:history.none', { days })}</p>`
}
</section>
<section aria-labelledby="past-maintenance-heading">
<h2 id="past-maintenance-heading">${t('public:maintenance.history')}</h2>
${
  pastMaintenance.length
    ? h`<ul class="past">${pastMaintenance.map(
        (m) => h`<li><a href="${pathIn(`/status/maintenance/${m.id}`, ctx.lang)}">${m.title}</a> · ${maintenanceWindow(m, ctx)}</li>`,
      )}</ul>`
    : h`<p>${t('public:maintenance.historyNone', { days })}</p>`
}
</section>`;
  return layout(ctx, `${t('public:page.history')} — ${t('public:page.title')}`, '/status/history', body);
}
