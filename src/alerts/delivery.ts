import { createHash } from 'node:crypto';
import { MAX_TEXT_LENGTH, MAX_TITLE_LENGTH, type Severity } from '../core/model.ts';

/** The monitoring systems tsuiki takes alerts from, each at `POST /hooks/<source>`. */
export const ALERT_SOURCES = ['alertmanager', 'grafana', 'pagerduty', 'generic'] as const;
export type AlertSource = (typeof ALERT_SOURCES)[number];

/** One alert of a group, as every source is reduced to. */
export interface AlertItem {
  /** Stable for one occurrence of one alert (fingerprint and start): a new occurrence is a new id. */
  id: string;
  name: string;
  status: 'firing' | 'resolved';
}

/** A delivery reduced to what processing reads, whatever the source. */
export interface AlertDelivery {
  source: AlertSource;
  groupKey: string;
  status: 'firing' | 'resolved';
  title: string;
  summary?: string | undefined;
  severity: Severity;
  /** Raw label values (component, components, service), mapped to catalog ids when processed. */
  components: string[];
  /** When the problem began as the source saw it: the earliest start of the group. */
  startedAt?: Date | undefined;
  alerts: AlertItem[];
}

/** What the hook stores for the worker: where it queues (lane) and what makes a redelivery one (deliveryKey). */
export interface AcceptedDelivery {
  deliveryKey: string;
  groupKey: string;
}

/** SHA-256 hex of text. */
export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** JSON with object keys sorted, so two encodings of one value hash alike. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

const SEVERITY_WORDS: Record<string, Severity> = {
  critical: 'SEV1',
  error: 'SEV2',
  high: 'SEV2',
  warning: 'SEV3',
  info: 'SEV4',
  low: 'SEV4',
};

/** A severity label as monitoring writes it (`critical`, `warning`, `2`, `sev1`, …); undefined when it names none. */
export function severityOfLabel(value: unknown): Severity | undefined {
  if (typeof value === 'number' && Number.isInteger(value)) return value >= 1 && value <= 4 ? (`SEV${value}` as Severity) : undefined;
  if (typeof value !== 'string') return undefined;
  const word = value.trim().toLowerCase();
  const numbered = /^(?:sev)?([1-4])$/.exec(word);
  if (numbered) return `SEV${numbered[1]}` as Severity;
  return SEVERITY_WORDS[word];
}

/** The most severe of several (SEV1 before SEV4); `fallback` when none. */
export function mostSevere(severities: (Severity | undefined)[], fallback: Severity = 'SEV3'): Severity {
  const known = severities.filter((s): s is Severity => s !== undefined).sort();
  return known[0] ?? fallback;
}

/** Component label values: `component`, `service` and the comma-separated `components`. */
export function componentLabels(labels: Record<string, string> | undefined): string[] {
  if (!labels) return [];
  const values = [labels.component, labels.service, ...(labels.components ?? '').split(',')];
  return values.map((v) => v?.trim() ?? '').filter(Boolean);
}

/** A time a source sent, or undefined for Go's zero time (`0001-01-01T00:00:00Z`), garbage and the far future. */
export function sourceTime(value: unknown): Date | undefined {
  if (typeof value !== 'string') return undefined;
  const at = new Date(value);
  const ms = at.getTime();
  // Before 2000 is a zero value or a broken clock; past 9999 PostgreSQL cannot store it.
  if (Number.isNaN(ms) || ms < Date.UTC(2000, 0, 1) || ms > Date.UTC(9999, 0, 1)) return undefined;
  return at;
}

/** The earliest of several times. */
export function earliest(times: (Date | undefined)[]): Date | undefined {
  return times.filter((t): t is Date => t !== undefined).sort((a, b) => a.getTime() - b.getTime())[0];
}

/** At most `max` UTF-16 units (the limits count those), never cutting a surrogate pair in two. */
function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  const head = text.slice(0, max - 1).replace(/[\uD800-\uDBFF]$/, '');
  return `${head}…`;
}

/** One line of text, at most `max` characters: titles and names come from other systems. */
export function oneLine(text: string | undefined, max = MAX_TITLE_LENGTH): string {
  return cut((text ?? '').replace(/\s+/g, ' ').trim(), max);
}

/** A summary as the incident keeps it: trimmed, within the command limit, absent when empty. */
export function summaryText(text: string | undefined): string | undefined {
  const trimmed = (text ?? '').trim();
  return trimmed ? cut(trimmed, MAX_TEXT_LENGTH) : undefined;
}

/** Whether a parsed body nests deeper than `max` (measured without recursion): stored bodies are walked recursively. */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (depth > max) return true;
    if (v && typeof v === 'object') for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return false;
}

/** The first non-empty string. */
export function firstText(...values: (string | undefined | null)[]): string | undefined {
  return values.find((v): v is string => typeof v === 'string' && v.trim() !== '');
}

/** Longest group key kept as sent; longer ones are kept as their hash (they are indexed, and btree rows are bounded). */
const MAX_GROUP_KEY = 200;

/** A group key as tsuiki keeps it: as sent, or `sha256:<hex>` when too long to index. */
export function boundedGroupKey(key: string): string {
  return key.length <= MAX_GROUP_KEY ? key : `sha256:${sha256(key)}`;
}

/** The inbox lane of a group: its deliveries are processed one at a time, in the order received. */
export function alertLane(source: AlertSource, groupKey: string): string {
  return `alerts:${source}:${boundedGroupKey(groupKey)}`;
}
