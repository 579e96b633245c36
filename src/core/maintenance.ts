import { DateTime } from 'luxon';
import { DomainError } from './errors.ts';
import { FUTURE_TOLERANCE_MS, resolveTimeExpression } from './time.ts';
import { MAX_TEXT_LENGTH, MAX_TITLE_LENGTH, type Visibility } from './model.ts';

/** Statuspage's maintenance statuses, plus `cancelled`, which takes a window off every public surface. */
export const MAINTENANCE_STATUSES = ['scheduled', 'in_progress', 'verifying', 'completed', 'cancelled'] as const;
export type MaintenanceStatus = (typeof MAINTENANCE_STATUSES)[number];

/** Statuses a person may move a maintenance to with `maintenance MNT-n status …`. */
export const SETTABLE_MAINTENANCE_STATUSES = ['in_progress', 'verifying', 'completed'] as const;
export type SettableMaintenanceStatus = (typeof SETTABLE_MAINTENANCE_STATUSES)[number];

/** What a maintenance told the public; each kind is one notice to subscribers. */
export type MaintenanceNoticeKind = 'scheduled' | 'reminder' | 'started' | 'verifying' | 'completed' | 'updated' | 'cancelled';

/** `maintenance …` as parsed: schedule a window, list them, or act on one (`MNT-n`). */
export type MaintenanceCommand =
  | {
      verb: 'maintenance';
      action: 'schedule';
      title: string;
      start: Date;
      end: Date;
      components: string[];
      visibility: Visibility;
      description?: string;
    }
  | { verb: 'maintenance'; action: 'list' }
  | {
      verb: 'maintenance';
      action: 'update';
      number: number;
      title?: string;
      start?: Date;
      end?: Date;
      components?: string[];
      description?: string;
    }
  | { verb: 'maintenance'; action: 'cancel'; number: number }
  | { verb: 'maintenance'; action: 'status'; number: number; status: SettableMaintenanceStatus };

/** `MNT-42`, as people write it. */
export function formatMaintenanceRef(number: number): string {
  return `MNT-${number}`;
}

const MAINTENANCE_REF = /^#?mnt-([1-9]\d{0,8})$/;
const COMPONENT_ID = /^[a-z0-9][a-z0-9_-]*$/;
const OPTION = /^(--|—|–|ーー)([^=]+)(?:=(.*))?$/su;
const OPTIONS: Readonly<Record<string, 'start' | 'end' | 'components' | 'private' | 'description' | 'title'>> = {
  start: 'start', 開始: 'start', from: 'start',
  end: 'end', 終了: 'end', until: 'end',
  components: 'components', component: 'components', コンポーネント: 'components',
  private: 'private', 非公開: 'private',
  description: 'description', 説明: 'description',
  title: 'title', 件名: 'title',
};
const LIST_WORDS = new Set(['list', '一覧']);
const CANCEL_WORDS = new Set(['cancel', '中止', 'キャンセル']);
const STATUS_WORDS = new Set(['status', '状態', 'ステータス']);
const STATUS_VALUES: Readonly<Record<string, SettableMaintenanceStatus>> = {
  in_progress: 'in_progress', 実施中: 'in_progress', 作業中: 'in_progress',
  verifying: 'verifying', 検証中: 'verifying', 確認中: 'verifying',
  completed: 'completed', 完了: 'completed',
};

interface Word {
  raw: string;
  key: string;
  start: number;
  end: number;
}

/** Where the parser resolves typed times: now, and the zone of the person typing. */
export interface MaintenanceParseContext {
  now: Date;
  timeZone: string;
}

/**
 * Parses the words after `maintenance`:
 * `<title> --start <time> --end <time|duration> [--components a,b] [--description text] [--private]`,
 * `list`, `MNT-n [--title …] [--start …] [--end …] [--components …] [--description …]`,
 * `MNT-n cancel`, `MNT-n status in_progress|verifying|completed`.
 */
export function parseMaintenance(text: string, ctx: MaintenanceParseContext): MaintenanceCommand {
  const words = [...text.matchAll(/\S+/gu)].map((m) => ({ raw: m[0], key: m[0].normalize('NFKC').toLowerCase(), start: m.index, end: m.index + m[0].length }));
  const first = words[0];
  if (!first) throw new DomainError('missing_argument', { argument: 'title' });
  if (LIST_WORDS.has(first.key) && words.length === 1) return { verb: 'maintenance', action: 'list' };
  const ref = MAINTENANCE_REF.exec(first.key);
  if (!ref) return schedule(text, words, ctx);
  const number = Number(ref[1]);
  const rest = words.slice(1);
  const word = rest[0];
  if (!word) throw new DomainError('missing_argument', { argument: 'options' });
  if (CANCEL_WORDS.has(word.key)) {
    rejectExtra(text, rest.slice(1));
    return { verb: 'maintenance', action: 'cancel', number };
  }
  if (STATUS_WORDS.has(word.key)) {
    const value = rest[1];
    if (!value) throw new DomainError('missing_argument', { argument: 'status' });
    const status = Object.hasOwn(STATUS_VALUES, value.key) ? STATUS_VALUES[value.key] : undefined;
    if (!status) throw new DomainError('bad_maintenance_status', { value: value.raw });
    rejectExtra(text, rest.slice(2));
    return { verb: 'maintenance', action: 'status', number, status };
  }
  const options = readOptions(text, rest, ctx);
  if (options.titleWords) throw new DomainError('bad_argument', { value: options.titleWords });
  if (options.private) throw new DomainError('bad_argument', { value: '--private' });
  const { start, end, components, description, title } = options;
  if (!start && !end && !components && description === undefined && title === undefined) {
    throw new DomainError('missing_argument', { argument: 'options' });
  }
  if (start && end) assertWindow(start, end);
  return {
    verb: 'maintenance',
    action: 'update',
    number,
    ...(title !== undefined && { title }),
    ...(start && { start }),
    ...(end && { end }),
    ...(components && { components }),
    ...(description !== undefined && { description }),
  };
}

function schedule(text: string, words: Word[], ctx: MaintenanceParseContext): MaintenanceCommand {
  const options = readOptions(text, words, ctx);
  const title = options.title ?? options.titleWords;
  if (!title) throw new DomainError('missing_argument', { argument: 'title' });
  if (!options.start) throw new DomainError('missing_argument', { argument: 'start' });
  if (!options.end) throw new DomainError('missing_argument', { argument: 'end' });
  assertWindow(options.start, options.end);
  if (options.end.getTime() <= ctx.now.getTime()) throw new DomainError('bad_window', { reason: 'past' });
  return {
    verb: 'maintenance',
    action: 'schedule',
    title: limit(title, MAX_TITLE_LENGTH),
    start: options.start,
    end: options.end,
    components: options.components ?? [],
    visibility: options.private ? 'private' : 'public',
    ...(options.description !== undefined && { description: options.description }),
  };
}

/** A window must end after it starts. */
export function assertWindow(start: Date, end: Date): void {
  if (end.getTime() <= start.getTime()) throw new DomainError('bad_window', { reason: 'order' });
}

interface Options {
  titleWords?: string;
  title?: string;
  start?: Date;
  end?: Date;
  components?: string[];
  description?: string;
  private?: boolean;
}

function readOptions(text: string, words: Word[], ctx: MaintenanceParseContext): Options {
  const out: Options = {};
  const titleParts: string[] = [];
  const seen = new Set<string>();
  let i = 0;
  const optionAt = (j: number) => {
    const w = words[j];
    const m = w && OPTION.exec(w.key);
    if (!w || !m) return undefined;
    const name = Object.hasOwn(OPTIONS, m[2]!) ? OPTIONS[m[2]!] : undefined;
    if (!name) {
      if (m[1] === '--') throw new DomainError('bad_option', { option: w.raw });
      return undefined;
    }
    return { name, inline: m[3] === undefined ? undefined : w.raw.slice(w.raw.search(/[=＝]/u) + 1) };
  };
  // The words up to the next option, cut from the source exactly as typed.
  const runTo = (from: number) => {
    let end = from;
    while (end < words.length && !optionAt(end)) end++;
    const slice = words.slice(from, end);
    return { end, text: slice.length ? text.slice(slice[0]!.start, slice.at(-1)!.end) : '' };
  };
  let startEnd: { expr: string } | undefined;
  while (i < words.length) {
    const option = optionAt(i);
    if (!option) {
      const run = runTo(i);
      titleParts.push(run.text);
      i = run.end;
      continue;
    }
    const word = words[i]!;
    if (seen.has(option.name)) throw new DomainError('bad_argument', { value: word.raw });
    seen.add(option.name);
    const run = runTo(i + 1);
    const value = [option.inline, run.text].filter((s) => s !== undefined && s !== '').join(' ');
    i = run.end;
    switch (option.name) {
      case 'private':
        if (value) throw new DomainError('bad_argument', { value });
        out.private = true;
        break;
      case 'start':
        if (!value) throw new DomainError('missing_argument', { argument: 'start' });
        out.start = resolveFutureTime(value, ctx);
        break;
      case 'end':
        if (!value) throw new DomainError('missing_argument', { argument: 'end' });
        startEnd = { expr: value };
        break;
      case 'components': {
        const ids = value.split(/[,、\s]+/u).map((s) => s.trim().toLowerCase()).filter(Boolean);
        if (ids.length === 0) throw new DomainError('missing_argument', { argument: 'components' });
        const bad = ids.find((id) => !COMPONENT_ID.test(id));
        if (bad !== undefined) throw new DomainError('bad_argument', { value: bad });
        out.components = [...new Set(ids)];
        break;
      }
      case 'description':
        out.description = limit(value, MAX_TEXT_LENGTH);
        break;
      case 'title':
        if (!value) throw new DomainError('missing_argument', { argument: 'title' });
        out.title = limit(value, MAX_TITLE_LENGTH);
        break;
    }
  }
  // `--end 2h` counts from the start when one is given, from now otherwise.
  if (startEnd) out.end = resolveEnd(startEnd.expr, out.start, ctx);
  const title = titleParts.join(' ').trim();
  if (title) out.titleWords = title;
  return out;
}

const DURATION = /^(\d{1,4})\s*(m|min|mins|minutes|分|h|hr|hrs|hours|時間)$/;

function resolveEnd(expr: string, start: Date | undefined, ctx: MaintenanceParseContext): Date {
  const duration = DURATION.exec(expr.normalize('NFKC').trim().toLowerCase());
  if (duration) {
    const n = Number(duration[1]);
    const minutes = /^(h|hr|hrs|hours|時間)$/.test(duration[2]!) ? n * 60 : n;
    if (minutes < 1) throw new DomainError('bad_time', { value: expr });
    return new Date((start ?? ctx.now).getTime() + minutes * 60_000);
  }
  // A bare `HH:MM` end is its next occurrence after the start, so `--start 23:00 --end 1:00` spans midnight.
  return resolveFutureTime(expr, start ? { now: start, timeZone: ctx.timeZone } : ctx);
}

const CLOCK = /^(\d{1,2}):(\d{2})$/;
const MONTH_DAY_CLOCK = /^(\d{1,2})\/(\d{1,2})\s+(\d{1,2}):(\d{2})$/;

/**
 * A time a maintenance will happen at, read in the typer's zone: `HH:MM` is its next
 * occurrence (now, within the clock-skew tolerance, counts), `M/D HH:MM` this year's date
 * unless that has passed (then next year's), ISO 8601 as written.
 */
export function resolveFutureTime(input: string, ctx: MaintenanceParseContext): Date {
  const text = input.normalize('NFKC').trim();
  const now = DateTime.fromJSDate(ctx.now, { zone: ctx.timeZone });
  if (!now.isValid) throw new RangeError(`invalid time zone: ${ctx.timeZone}`);
  const earliest = ctx.now.getTime() - FUTURE_TOLERANCE_MS;
  const clock = CLOCK.exec(text);
  if (clock) {
    const hour = Number(clock[1]);
    const minute = Number(clock[2]);
    if (hour > 23 || minute > 59) throw new DomainError('bad_time', { value: input });
    for (const day of [now, now.plus({ days: 1 })]) {
      const at = DateTime.fromObject({ year: day.year, month: day.month, day: day.day, hour, minute }, { zone: ctx.timeZone });
      if (at.isValid && at.toMillis() >= earliest) return at.toJSDate();
    }
    throw new DomainError('bad_time', { value: input });
  }
  const monthDay = MONTH_DAY_CLOCK.exec(text);
  if (monthDay) {
    const [month, day, hour, minute] = monthDay.slice(1).map(Number) as [number, number, number, number];
    if (hour > 23 || minute > 59) throw new DomainError('bad_time', { value: input });
    for (const year of [now.year, now.year + 1]) {
      const at = DateTime.fromObject({ year, month, day, hour, minute }, { zone: ctx.timeZone });
      if (at.isValid && at.toMillis() >= earliest) return at.toJSDate();
    }
    throw new DomainError('bad_time', { value: input });
  }
  // ISO: the past-oriented reader refuses future times, so resolve it as if said far ahead.
  const farAhead = { now: new Date(ctx.now.getTime() + 400 * 86_400_000), timeZone: ctx.timeZone };
  if (/^\d{4}-\d{1,2}-\d{1,2}/.test(text)) return resolveTimeExpression(text, farAhead);
  throw new DomainError('bad_time', { value: input });
}

/** Where a maintenance stands by the clock alone: what the start and end jobs do when they run. */
export function dueStatus(
  m: { status: MaintenanceStatus; scheduledFor: Date; scheduledUntil: Date },
  now: Date,
): MaintenanceStatus {
  if (m.status === 'cancelled' || m.status === 'completed') return m.status;
  if (now.getTime() >= m.scheduledUntil.getTime()) return 'completed';
  if (m.status === 'scheduled' && now.getTime() >= m.scheduledFor.getTime()) return 'in_progress';
  return m.status;
}

/**
 * Checks that a person may move a maintenance to `to`: forward only (scheduled → in_progress
 * → verifying → completed; steps may be skipped), never out of completed or cancelled.
 */
export function assertMaintenanceTransition(from: MaintenanceStatus, to: MaintenanceStatus): void {
  if (from === 'cancelled' || from === 'completed') throw new DomainError('maintenance_finished', { status: from });
  if (from === to) throw new DomainError('same_status', { status: to });
  const order: MaintenanceStatus[] = ['scheduled', 'in_progress', 'verifying', 'completed'];
  if (to !== 'cancelled' && order.indexOf(to) < order.indexOf(from)) throw new DomainError('bad_transition', { from, to });
}

/** The notice a status change sends. */
export function noticeFor(status: MaintenanceStatus): MaintenanceNoticeKind {
  return status === 'in_progress' ? 'started' : status;
}

/** Whether the maintenance's components read `under_maintenance` now. */
export function isUnderMaintenance(status: MaintenanceStatus): boolean {
  return status === 'in_progress';
}

function rejectExtra(text: string, rest: Word[]): void {
  if (rest.length) throw new DomainError('bad_argument', { value: text.slice(rest[0]!.start, rest.at(-1)!.end) });
}

function limit(text: string, max: number): string {
  if (text.length > max) throw new DomainError('text_too_long', { max });
  return text;
}
