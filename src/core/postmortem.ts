import type { Localizer } from './localizer.ts';
import { formatEntryLine } from './describe-entry.ts';
import { componentName, type IncidentSnapshot, type TimelineEntry } from './incident.ts';
import { formatIncidentRef, IMPACTS, KEY_MOMENTS, STATUSES, WELL_KNOWN_ROLES } from './model.ts';
import { compareEntries, computeIntervals, impactDuration, type Interval } from './timeline.ts';

/** What a draft needs besides the incident: its language and zone, the time of writing, and the words. */
export interface PostmortemOptions {
  lang: string;
  zone: string;
  /** When the draft is generated; shown in the draft and used for the duration of ongoing impact. */
  now: Date;
  i18n: Localizer;
  /** The incident's page on the status page, when there is one. */
  publicUrl?: string;
}

/** Above these, the open questions ask why; the story's status page lagged 25 minutes behind a 1-minute page. */
const SLOW_DETECTION_MS = 5 * 60_000;
const SLOW_FIRST_PUBLIC_MS = 10 * 60_000;
const DEFAULT_QUESTIONS = ['wentWell', 'wentWrong', 'lucky', 'faster'] as const;

/**
 * User text made safe for one Markdown line or table cell: newlines become spaces, characters
 * that open code, HTML, entities (`&lt;` typed must not show as `<`), links, headings or cells
 * are escaped, and so is anything that would open a block (list, quote, fence, setext
 * underline) at the start of a container.
 */
export function escapeMarkdown(text: string): string {
  const flat = text.replace(/\s*[\r\n\u2028\u2029]+\s*/g, ' ').trim();
  // `&` only where it would start an entity or character reference; elsewhere it is literal already.
  const escaped = flat.replace(/[\\`<>[\]|#]|&(?=#?[a-z0-9]+;)/gi, '\\$&');
  return escaped.replace(/^[-+=*_~]/, '\\$&').replace(/^(\d+)([.)])/, '$1\\$2');
}

/** Text for a Mermaid timeline line: its syntax characters (`:` `;` `#` `%`, fences, markup, newlines) cannot survive. */
function mermaidText(text: string): string {
  return text
    .replace(/:/g, '\u2236') // RATIO: looks like a colon, so `22:25` still reads as a time
    .replace(/[;#%`<>{}\r\n\u2028\u2029]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

function tableRow(cells: readonly string[]): string {
  return `| ${cells.join(' | ')} |`;
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  return [tableRow(header), tableRow(header.map(() => '---')), ...rows.map(tableRow)];
}

/** A multi-line free text as Markdown paragraphs, each line escaped so none can become structure. */
function paragraphs(text: string): string[] {
  return text
    .split(/\r?\n\s*\r?\n/)
    .map((para) => para.split(/\r?\n/).map(escapeMarkdown).filter(Boolean).join('\n'))
    .filter(Boolean)
    .flatMap((para) => [para, '']);
}

/** The public update's text in `lang` when a translation exists; the draft should read in one language. */
function localizedEntry(entry: TimelineEntry, incident: IncidentSnapshot, lang: string): TimelineEntry {
  if (entry.kind !== 'public_update' || typeof entry.data.updateId !== 'string') return entry;
  const update = incident.publicUpdates.find((u) => u.id === entry.data.updateId);
  if (!update || update.sourceLang === lang) return entry;
  const translation = update.translations.find((t) => t.lang === lang);
  return translation ? { ...entry, text: translation.body } : entry;
}

/** A Markdown postmortem draft of the incident, entirely in `lang` with times in `zone`; deterministic given its input. */
export function buildPostmortem(incident: IncidentSnapshot, options: PostmortemOptions): string {
  const { lang, zone, now, i18n } = options;
  const tl = i18n.t(lang);
  const p = (key: string, params?: Record<string, unknown>): string => tl(`postmortem:${key}`, params);
  const at = (date: Date) => i18n.formatDateTime(date, lang, zone, 'dateTime');
  const duration = (ms: number) => (ms < 0 ? '-' : '') + i18n.formatDuration(ms, lang);
  const field = (label: string, value: string) => `- ${p('field', { label: p(label), value })}`;
  const statusLabel = (s: unknown) =>
    typeof s === 'string' && (STATUSES as readonly string[]).includes(s) ? tl(`common:status.${s}`) : escapeMarkdown(String(s ?? ''));
  const heading = (key: string) => [`## ${p(`headings.${key}`)}`, ''];

  const ref = formatIncidentRef(incident.number);
  const { moments } = incident;
  const entries = [...incident.entries].sort(compareEntries);
  const intervals = computeIntervals(moments);
  const interval = (id: Interval['id']) => intervals.find((i) => i.id === id);
  const causes = entries.filter((e) => e.kind === 'cause' && e.text);
  const actions = [...incident.actions].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const intervalCell = (i: Interval) => ('missing' in i ? i.missing.map((m) => p(`missing.${m}`)).join(' / ') : duration(i.ms));

  const out: string[] = [
    `# ${p('title', { ref, title: escapeMarkdown(incident.title) })}`,
    '',
    p('generated', { time: i18n.formatDateTime(now, lang, zone, 'fullDateTime') }),
    '',
  ];

  out.push(...heading('summary'));
  out.push(...(incident.summary?.trim() ? paragraphs(incident.summary) : [p('summary.none'), '']));
  out.push(field('summary.severity', tl(`common:severity.${incident.severity}`)));
  out.push(field('summary.status', statusLabel(incident.status)));
  out.push(field('summary.visibility', tl(`common:visibility.${incident.visibility}`)));
  out.push(field('summary.declaredBy', escapeMarkdown(incident.declaredBy.name || incident.declaredBy.id)));
  if (incident.roles.length > 0) {
    const roles = incident.roles.map((r) =>
      p('summary.role', {
        role: (WELL_KNOWN_ROLES as readonly string[]).includes(r.role) ? tl(`common:role.${r.role}`) : escapeMarkdown(r.role),
        user: escapeMarkdown(r.userName || r.userId),
      }),
    );
    out.push(field('summary.roles', i18n.formatList(roles, lang)));
  }
  // A private incident never reaches the status page, so a link there would lead nowhere.
  if (options.publicUrl && incident.visibility === 'public') out.push(field('summary.statusPage', escapeMarkdown(options.publicUrl)));
  out.push('');

  out.push(...heading('impact'));
  if (incident.components.length > 0) {
    const rows = incident.components.map((c) => [
      escapeMarkdown(componentName(c, lang)),
      (IMPACTS as readonly string[]).includes(c.impact) ? tl(`common:impact.${c.impact}`) : escapeMarkdown(String(c.impact)),
      at(c.since),
    ]);
    out.push(...table([p('impact.component'), p('impact.impact'), p('impact.since')], rows), '');
  } else {
    out.push(p('impact.none'), '');
  }
  const start = moments.started
    ? at(moments.started)
    : moments.declared
      ? p('impact.startFromDeclared', { time: at(moments.declared) })
      : p('missing.started');
  out.push(field('impact.start', start));
  out.push(field('impact.end', moments.resolved ? at(moments.resolved) : p('impact.ongoing')));
  if (moments.started || moments.declared) {
    const span = duration(impactDuration(incident, now));
    out.push(field('impact.duration', moments.resolved ? span : p('impact.durationSoFar', { duration: span })));
  } else {
    out.push(field('impact.duration', p('missing.started')));
  }
  out.push('');

  out.push(...heading('moments'));
  const momentRows = KEY_MOMENTS.map((m) => [tl(`common:moment.${m}`), moments[m] ? at(moments[m]) : p(`missing.${m}`)]);
  out.push(...table([p('moments.moment'), p('moments.time')], momentRows), '');

  out.push(...heading('intervals'));
  const intervalRows = intervals.map((i) => [p(`intervals.${i.id}`), intervalCell(i)]);
  out.push(...table([p('intervals.interval'), p('intervals.duration')], intervalRows), '', p('intervals.note'), '');

  out.push(...heading('timeline'));
  const lines = entries.map((e) => `- ${escapeMarkdown(formatEntryLine(localizedEntry(e, incident, lang), lang, zone, i18n))}`);
  out.push(...(lines.length > 0 ? lines : [p('timeline.none')]), '');

  out.push(...heading('causes'));
  const causeLines = causes.map(
    (e) => `- ${p('causes.item', { text: escapeMarkdown(e.text!), author: escapeMarkdown(e.authorName || e.authorId), time: at(e.occurredAt) })}`,
  );
  out.push(...(causeLines.length > 0 ? causeLines : [p('causes.none')]), '');

  out.push(...heading('actions'));
  const actionLines = actions.map((a) => {
    const owner = a.ownerName || a.ownerId ? escapeMarkdown(a.ownerName || a.ownerId!) : p('actions.unassigned');
    return `- [${a.done ? 'x' : ' '}] ${p('actions.item', { text: escapeMarkdown(a.text), owner })}`;
  });
  out.push(...(actionLines.length > 0 ? actionLines : [p('actions.none')]), '');

  out.push(...heading('chart'), ...mermaidChart(incident, entries, options, statusLabel), '');

  out.push(...heading('questions'));
  const questions: string[] = [];
  const detect = interval('detect');
  const firstPublic = interval('first_public');
  if (!moments.started) questions.push(p('questions.noStart'));
  if (detect && 'ms' in detect && detect.ms > SLOW_DETECTION_MS) questions.push(p('questions.detection', { duration: duration(detect.ms) }));
  if (firstPublic && 'ms' in firstPublic && firstPublic.ms > SLOW_FIRST_PUBLIC_MS) {
    questions.push(p('questions.firstPublic', { duration: duration(firstPublic.ms) }));
  }
  if (!moments.first_public && incident.visibility === 'public') questions.push(p('questions.noPublic'));
  if (causes.length === 0) questions.push(p('questions.noCause'));
  if (actions.length === 0) questions.push(p('questions.noActions'));
  const unowned = actions.filter((a) => !a.ownerName && !a.ownerId);
  if (unowned.length > 0) {
    questions.push(p('questions.unowned', { items: i18n.formatList(unowned.map((a) => escapeMarkdown(a.text)), lang) }));
  }
  if (questions.length === 0) questions.push(...DEFAULT_QUESTIONS.map((q) => p(`questions.default.${q}`)));
  out.push(...questions.map((q) => `- ${q}`));

  return `${out.join('\n').trimEnd()}\n`;
}

/** A Mermaid `timeline`: one section per day in the zone, one event per key moment and per status change. */
function mermaidChart(
  incident: IncidentSnapshot,
  sortedEntries: readonly TimelineEntry[],
  { lang, zone, i18n }: PostmortemOptions,
  statusLabel: (s: unknown) => string,
): string[] {
  const tl = i18n.t(lang);
  const events: { at: Date; text: string }[] = [];
  for (const m of KEY_MOMENTS) {
    const date = incident.moments[m];
    if (date) events.push({ at: date, text: tl(`common:moment.${m}`) });
  }
  for (const e of sortedEntries) {
    if (e.kind === 'status') events.push({ at: e.occurredAt, text: tl('postmortem:chart.status', { status: statusLabel(e.data.status) }) });
  }
  if (events.length === 0) return [tl('postmortem:chart.none')];
  // Stable sort: at equal times, key moments stay before status changes and in KEY_MOMENTS order.
  events.sort((a, b) => a.at.getTime() - b.at.getTime());

  const lines = ['```mermaid', 'timeline', `    title ${mermaidText(tl('postmortem:chart.title', { ref: formatIncidentRef(incident.number) }))}`];
  let day: string | undefined;
  for (const event of events) {
    const eventDay = mermaidText(i18n.formatDateTime(event.at, lang, zone, 'date'));
    if (eventDay !== day) lines.push(`    section ${eventDay}`);
    day = eventDay;
    // Markdown escapes would show literally inside the diagram, so strip them back to plain text.
    const text = mermaidText(event.text.replace(/\\(.)/g, '$1'));
    lines.push(`        ${mermaidText(i18n.formatDateTime(event.at, lang, zone, 'time'))} : ${text}`);
  }
  lines.push('```');
  return lines;
}
