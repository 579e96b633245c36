import type { TFunction } from 'i18next';
import type { Localizer } from './localizer.ts';
import { componentName, type TimelineEntry } from './incident.ts';
import { IMPACTS, KEY_MOMENTS, SEVERITIES, STATUSES, VISIBILITIES, WELL_KNOWN_ROLES } from './model.ts';

/** Back-dating below this is clock skew and chat latency, not worth a marker. */
const BACKDATED_THRESHOLD_MS = 60_000;

/** A non-empty string from untyped entry data, else undefined; entries come from old rows too. */
function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

/** Free text on one line: a timeline line must stay one line wherever it is shown. */
function oneLine(text: string): string {
  return text.replace(/\s*[\r\n\u2028\u2029]+\s*/g, ' ').trim();
}

/** A vocabulary word in the language when it is a known value, else the raw value, never a missing key. */
function label(tl: TFunction, group: string, known: readonly string[], value: unknown, fallback: string): string {
  const raw = str(value);
  if (!raw) return fallback;
  return known.includes(raw) ? tl(`common:${group}.${raw}`) : raw;
}

function describeComponents(data: Record<string, unknown>, lang: string, i18n: Localizer): string {
  const tl = i18n.t(lang);
  const list = Array.isArray(data.components) ? data.components : [];
  const parts = list.flatMap((c: unknown) => {
    if (typeof c === 'string') return [c];
    if (!c || typeof c !== 'object') return [];
    const item = c as Record<string, unknown>;
    const source = str(item.name) ?? str(item.id);
    if (!source) return [];
    // Entries may carry per-language names; without them the source name is the best we have.
    const names = item.names && typeof item.names === 'object' ? (item.names as Record<string, string>) : {};
    const name = componentName({ name: source, names }, lang);
    const impact = str(item.impact);
    if (!impact) return [name];
    const impactLabel = impact === 'none' || (IMPACTS as readonly string[]).includes(impact) ? tl(`common:impact.${impact}`) : impact;
    return [tl('timeline:componentImpact', { name, impact: impactLabel })];
  });
  return parts.length > 0 ? tl('timeline:components', { components: i18n.formatList(parts, lang) }) : tl('timeline:componentsNone');
}

/**
 * One line of plain text describing an entry in `lang`; free text is kept verbatim (newlines
 * become spaces). `zone`, when given, lets a key-moment entry show the moment's time.
 */
export function describeEntry(entry: TimelineEntry, lang: string, i18n: Localizer, zone?: string): string {
  const tl = i18n.t(lang);
  const data = entry.data && typeof entry.data === 'object' ? entry.data : {};
  const unknown = tl('timeline:unknown');
  const text = entry.text ? oneLine(entry.text) : '';
  const status = (value: unknown) => label(tl, 'status', STATUSES, value, unknown);
  const severity = (value: unknown) => label(tl, 'severity', SEVERITIES, value, unknown);

  switch (entry.kind) {
    case 'declared': {
      const components = Array.isArray(data.components) ? data.components.filter((c): c is string => typeof c === 'string') : [];
      const params = {
        title: text || unknown,
        severity: severity(data.severity),
        visibility: label(tl, 'visibility', VISIBILITIES, data.visibility, unknown),
      };
      return components.length > 0
        ? tl('timeline:declaredWithComponents', { ...params, components: i18n.formatList(components, lang) })
        : tl('timeline:declared', params);
    }
    case 'note':
      return tl('timeline:note', { text });
    case 'status':
      return text ? tl('timeline:statusWithText', { status: status(data.status), text }) : tl('timeline:status', { status: status(data.status) });
    case 'public_update':
      return tl('timeline:publicUpdate', { status: status(data.status), text });
    case 'severity':
      return str(data.from)
        ? tl('timeline:severityFrom', { from: severity(data.from), severity: severity(data.severity) })
        : tl('timeline:severity', { severity: severity(data.severity) });
    case 'component':
      return describeComponents(data, lang, i18n);
    case 'role':
      return tl('timeline:role', {
        role: label(tl, 'role', WELL_KNOWN_ROLES, data.role, unknown),
        user: oneLine(str(data.userName) ?? str(data.userId) ?? unknown),
      });
    case 'moment': {
      const moment = label(tl, 'moment', KEY_MOMENTS, data.moment, unknown);
      const at = str(data.at) ? new Date(data.at as string) : undefined;
      if (!zone || !at || Number.isNaN(at.getTime())) return tl('timeline:momentNoTime', { moment });
      return tl('timeline:moment', { moment, time: i18n.formatDateTime(at, lang, zone, 'dateTime') });
    }
    case 'cause':
      return tl('timeline:cause', { text });
    case 'action': {
      const owner = str(data.ownerName);
      return owner ? tl('timeline:actionOwner', { text, owner: oneLine(owner) }) : tl('timeline:action', { text });
    }
    case 'reminder': {
      const minutes = typeof data.minutes === 'number' && Number.isFinite(data.minutes) ? data.minutes : undefined;
      if (minutes === undefined) return tl('timeline:other', { kind: entry.kind, text: unknown });
      return tl('timeline:reminder', { duration: i18n.formatDuration(minutes * 60_000, lang) });
    }
    case 'upstream': {
      const body = [text, str(data.url)].filter(Boolean).join(' ');
      const vendor = str(data.vendor);
      return vendor ? tl('timeline:upstreamVendor', { vendor: oneLine(vendor), text: body }) : tl('timeline:upstream', { text: body });
    }
    case 'closed':
      return text ? tl('timeline:closedWithText', { text }) : tl('timeline:closed');
    case 'postmortem': {
      const langs = Array.isArray(data.langs) ? data.langs.filter((l): l is string => typeof l === 'string') : [];
      return tl('timeline:postmortem', { langs: i18n.formatList(langs, lang) });
    }
    default:
      // A kind added later still shows up, raw, instead of breaking every renderer.
      return tl('timeline:other', { kind: String(entry.kind), text: text || unknown });
  }
}

/** `<time> · <author> · <description>` in a zone, marking entries recorded more than a minute after they occurred. */
export function formatEntryLine(entry: TimelineEntry, lang: string, zone: string, i18n: Localizer): string {
  const tl = i18n.t(lang);
  const line = tl('timeline:line', {
    time: i18n.formatDateTime(entry.occurredAt, lang, zone, 'dateTime'),
    author: oneLine(entry.authorName || entry.authorId || tl('timeline:unknown')),
    description: describeEntry(entry, lang, i18n, zone),
  });
  if (entry.recordedAt.getTime() - entry.occurredAt.getTime() <= BACKDATED_THRESHOLD_MS) return line;
  // The time alone is enough on the same day; across midnight the date is needed too.
  const sameDay =
    i18n.formatDateTime(entry.recordedAt, lang, zone, 'date') === i18n.formatDateTime(entry.occurredAt, lang, zone, 'date');
  const recorded = i18n.formatDateTime(entry.recordedAt, lang, zone, sameDay ? 'time' : 'dateTime');
  return `${line} ${tl('timeline:recorded', { time: recorded })}`;
}
