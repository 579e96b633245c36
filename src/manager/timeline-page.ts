import { describeEntry, formatEntryLine } from '../core/describe-entry.ts';
import { componentName, type IncidentSnapshot, type TimelineEntry } from '../core/incident.ts';
import { ENTRY_KINDS, formatIncidentRef } from '../core/model.ts';
import { escapeMarkdown } from '../core/postmortem.ts';
import { compareEntries } from '../core/timeline.ts';
import type { I18n } from '../i18n.ts';
import { STYLE } from '../status-page/style.ts';
import { h, type Html, renderInternalPage } from './page-shell.ts';

/** Entries recorded more than this after they occurred show when they were recorded (as in chat). */
const BACKDATED_MS = 60_000;

const PAGE_STYLE = `${STYLE}
.facts{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem;margin:1rem 0}.facts dt{font-weight:600}.facts dd{margin:0}
table.timeline{border-collapse:collapse;width:100%;background:#fff}
.timeline th,.timeline td{border-bottom:1px solid #d0d5dc;padding:.4rem .5rem;text-align:left;vertical-align:top}
.timeline td.when{white-space:nowrap}.timeline .entry{white-space:pre-wrap;overflow-wrap:anywhere}
.recorded{color:#4a525c;font-size:.9rem}.note{color:#4a525c}
`;

/** What a timeline page needs besides the incident. */
export interface TimelinePageContext {
  i18n: I18n;
  lang: string;
  /** The team's zone: the timeline reads as the responders lived it. */
  zone: string;
  now: Date;
  /** Until when the link that opened the page works; absent when opened with the administrator token. */
  expires?: Date | undefined;
  /** The same timeline as Markdown (with the same signature), linked from the page. */
  markdownHref?: string | undefined;
}

function kindLabel(ctx: TimelinePageContext, kind: string): string {
  return (ENTRY_KINDS as readonly string[]).includes(kind) ? ctx.i18n.t(ctx.lang)(`manager:timelinePage.kind.${kind}`) : kind;
}

function facts(incident: IncidentSnapshot, ctx: TimelinePageContext): { label: string; value: string }[] {
  const t = ctx.i18n.t(ctx.lang);
  const components = incident.components.map((c) =>
    t('timeline:componentImpact', { name: componentName(c, ctx.lang), impact: t(`common:impact.${c.impact}`) }),
  );
  return [
    { label: t('manager:timelinePage.status'), value: t(`common:status.${incident.status}`) },
    { label: t('manager:timelinePage.severity'), value: t(`common:severity.${incident.severity}`) },
    { label: t('manager:timelinePage.visibility'), value: t(`common:visibility.${incident.visibility}`) },
    { label: t('manager:timelinePage.components'), value: components.length ? ctx.i18n.formatList(components, ctx.lang) : t('common:list.none') },
  ];
}

function entryRow(entry: TimelineEntry, ctx: TimelinePageContext): Html {
  const t = ctx.i18n.t(ctx.lang);
  const at = (d: Date) => h`<time datetime="${d.toISOString()}">${ctx.i18n.formatDateTime(d, ctx.lang, ctx.zone, 'dateTime')}</time>`;
  const late = entry.recordedAt.getTime() - entry.occurredAt.getTime() > BACKDATED_MS;
  return h`<tr>
<td class="when">${at(entry.occurredAt)}${late ? h`<br><span class="recorded">${t('manager:timelinePage.recorded')} ${at(entry.recordedAt)}</span>` : ''}</td>
<td>${entry.authorName || entry.authorId}</td>
<td>${kindLabel(ctx, entry.kind)}</td>
<td class="entry">${describeEntry(entry, ctx.lang, ctx.i18n, ctx.zone)}</td>
</tr>`;
}

/** The full internal timeline as one HTML page in `ctx.lang`; every user text escaped. */
export function renderTimelineHtml(incident: IncidentSnapshot, ctx: TimelinePageContext): string {
  const t = ctx.i18n.t(ctx.lang);
  const ref = formatIncidentRef(incident.number);
  const entries = [...incident.entries].sort(compareEntries);
  const title = t('manager:timelinePage.title', { ref, title: incident.title });
  const body = h`<h1>${title}</h1>
<dl class="facts">${facts(incident, ctx).map((f) => h`<dt>${f.label}</dt><dd>${f.value}</dd>`)}</dl>
<h2>${t('manager:timelinePage.entries', { count: entries.length })}</h2>
${
  entries.length
    ? h`<table class="timeline">
<thead><tr><th scope="col">${t('manager:timelinePage.time', { zone: ctx.zone })}</th><th scope="col">${t('manager:timelinePage.author')}</th><th scope="col">${t('manager:timelinePage.kindHeading')}</th><th scope="col">${t('manager:timelinePage.entry')}</th></tr></thead>
<tbody>${entries.map((e) => entryRow(e, ctx))}</tbody>
</table>`
    : h`<p>${t('manager:timelinePage.empty')}</p>`
}
<p class="note">${t('manager:timelinePage.asOf', { time: ctx.i18n.formatDateTime(ctx.now, ctx.lang, ctx.zone, 'fullDateTime') })} ${t('manager:timelinePage.internal')}${
    ctx.expires ? h` ${t('manager:timelinePage.expires', { time: ctx.i18n.formatDateTime(ctx.expires, ctx.lang, ctx.zone, 'fullDateTime') })}` : ''
  }</p>
${ctx.markdownHref ? h`<p><a href="${ctx.markdownHref}" type="text/markdown">${t('manager:timelinePage.markdown')}</a></p>` : ''}`;
  return page(ctx, title, body);
}

/** The same timeline as Markdown: the facts, then one line per entry as chat shows it, user text escaped. */
export function renderTimelineMarkdown(incident: IncidentSnapshot, ctx: TimelinePageContext): string {
  const t = ctx.i18n.t(ctx.lang);
  const entries = [...incident.entries].sort(compareEntries);
  const out = [`# ${escapeMarkdown(t('manager:timelinePage.title', { ref: formatIncidentRef(incident.number), title: incident.title }))}`, ''];
  for (const f of facts(incident, ctx)) out.push(`- **${f.label}:** ${escapeMarkdown(f.value)}`);
  out.push('', `## ${t('manager:timelinePage.entries', { count: entries.length })}`, '');
  if (entries.length === 0) out.push(t('manager:timelinePage.empty'));
  for (const entry of entries) out.push(`- ${escapeMarkdown(formatEntryLine(entry, ctx.lang, ctx.zone, ctx.i18n))}`);
  out.push('', t('manager:timelinePage.asOf', { time: ctx.i18n.formatDateTime(ctx.now, ctx.lang, ctx.zone, 'fullDateTime') }), '');
  return out.join('\n');
}

/** A short page saying why the timeline is not shown (bad or expired link, unknown incident). */
export function renderTimelineMessage(ctx: Pick<TimelinePageContext, 'lang'>, title: string, message: string): string {
  return page(ctx, title, h`<h1>${title}</h1><p>${message}</p>`);
}

function page(ctx: Pick<TimelinePageContext, 'lang'>, title: string, body: Html): string {
  return renderInternalPage({ lang: ctx.lang, title, style: PAGE_STYLE, body });
}
