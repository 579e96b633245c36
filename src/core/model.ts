/** Vocabularies of the incident domain; names match PRODUCT.md and Atlassian Statuspage. */
export const SEVERITIES = ['SEV1', 'SEV2', 'SEV3', 'SEV4'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Statuses an incident moves through; `closed` follows `resolved` once a postmortem draft exists. */
export const STATUSES = ['investigating', 'identified', 'monitoring', 'resolved', 'closed'] as const;
export type Status = (typeof STATUSES)[number];

/** Statuses a person may set with `status`; `closed` is reached only through `close`. */
export const SETTABLE_STATUSES = ['investigating', 'identified', 'monitoring', 'resolved'] as const;
export type SettableStatus = (typeof SETTABLE_STATUSES)[number];

export const OPEN_STATUSES: readonly Status[] = ['investigating', 'identified', 'monitoring'];

/** Component impacts, Statuspage's vocabulary. */
export const IMPACTS = ['degraded_performance', 'partial_outage', 'major_outage'] as const;
export type Impact = (typeof IMPACTS)[number];

export const VISIBILITIES = ['public', 'private'] as const;
export type Visibility = (typeof VISIBILITIES)[number];

export const KEY_MOMENTS = ['started', 'detected', 'declared', 'first_public', 'mitigated', 'resolved', 'closed'] as const;
export type KeyMoment = (typeof KEY_MOMENTS)[number];

/** Key moments a person may set or back-date with a command. */
export const SETTABLE_MOMENTS = ['started', 'detected', 'mitigated'] as const;
export type SettableMoment = (typeof SETTABLE_MOMENTS)[number];

export const WELL_KNOWN_ROLES = ['commander', 'comms', 'scribe'] as const;

export const ENTRY_KINDS = [
  'declared',
  'note',
  'status',
  'public_update',
  'severity',
  'component',
  'role',
  'moment',
  'cause',
  'action',
  'reminder',
  'upstream',
  'closed',
  'postmortem',
] as const;
export type EntryKind = (typeof ENTRY_KINDS)[number];

export const TRANSLATION_ORIGINS = ['machine', 'human', 'approved'] as const;
export type TranslationOrigin = (typeof TRANSLATION_ORIGINS)[number];

export const PLATFORMS = ['slack', 'teams', 'console'] as const;
export type Platform = (typeof PLATFORMS)[number];

/** Longest free text a command accepts; Slack's section limit, so every surface can show it whole. */
export const MAX_TEXT_LENGTH = 3000;
export const MAX_TITLE_LENGTH = 200;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether a value can be a row id (incidents, updates): anything else names no row, and PostgreSQL would refuse to compare it. */
export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * A string PostgreSQL can store: `text` has no place for U+0000 and `jsonb` none for a lone
 * surrogate, so each becomes U+FFFD (what any UTF-8 encoder makes of a lone surrogate);
 * everything else is kept as typed. Applied to plain objects and arrays, every string in them.
 */
export function storable<T>(value: T): T {
  if (typeof value === 'string') return value.replace(UNSTORABLE, '\uFFFD') as T;
  if (Array.isArray(value)) return value.map(storable) as T;
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, storable(v)])) as T;
  }
  return value;
}

/** Who issued a command, as the chat platform identifies them. */
export interface Actor {
  platform: Platform;
  id: string;
  name: string;
  /** Language of replies to this actor; one of the configured locales. */
  lang: string;
  /** IANA zone the person's typed times are read in (Slack profile, Teams client, console `--tz`); absent: TEAM_TIME_ZONE. */
  timeZone?: string;
}

/** The incident number as people write it: `INC-42`. */
export function formatIncidentRef(number: number): string {
  return `INC-${number}`;
}

export function severityFromNumber(n: number): Severity | undefined {
  return SEVERITIES[n - 1];
}
