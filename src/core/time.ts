import { DateTime } from 'luxon';
import { DomainError } from './errors.ts';

/**
 * How far after `now` a stated time may lie and still count as "now or earlier".
 * People read times off their own phones and laptops, which drift a few minutes from the
 * server clock, so `10:31` typed at 10:30:45 server time means today, not yesterday, and an
 * ISO time a minute ahead is a skewed clock rather than a claim about the future.
 */
export const FUTURE_TOLERANCE_MS = 5 * 60_000;

/** The instant an expression is resolved against and the zone that wall-clock times are read in. */
export interface TimeContext {
  now: Date;
  timeZone: string;
}

const CLOCK = /^(\d{1,2}):(\d{2})$/;
const MONTH_DAY_CLOCK = /^(\d{1,2})\/(\d{1,2})\s+(\d{1,2}):(\d{2})$/;
// Calendar dates only (no week or ordinal dates), minutes required, offset optional.
const ISO_DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/;

interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second?: number;
  millisecond?: number;
}

/**
 * Resolves `HH:MM`, `M/D HH:MM` or an ISO 8601 date-time to an instant; wall-clock forms are
 * read in `ctx.timeZone` and mean their most recent occurrence.
 */
export function resolveTimeExpression(input: string, ctx: TimeContext): Date {
  // NFKC turns full-width digits, `：` and `／` into ASCII, and U+3000 into a space.
  const text = input.normalize('NFKC').trim();
  const now = DateTime.fromJSDate(ctx.now, { zone: ctx.timeZone });
  if (!now.isValid) throw new RangeError(`invalid time zone: ${ctx.timeZone}`);
  const latest = ctx.now.getTime() + FUTURE_TOLERANCE_MS;
  const badTime = () => new DomainError('bad_time', { value: input });

  const clock = CLOCK.exec(text);
  if (clock) {
    const hour = Number(clock[1]);
    const minute = Number(clock[2]);
    if (!isClock(hour, minute)) throw badTime();
    // Today's occurrence unless it is still ahead (beyond the skew tolerance); then yesterday's.
    for (const day of [now, now.minus({ days: 1 })]) {
      const found = latestNotAfter(instantsAt({ ...dateOf(day), hour, minute }, ctx.timeZone), latest);
      if (found) return found;
    }
    throw badTime();
  }

  const monthDay = MONTH_DAY_CLOCK.exec(text);
  if (monthDay) {
    const [month, day, hour, minute] = monthDay.slice(1).map(Number) as [number, number, number, number];
    if (!isClock(hour, minute)) throw badTime();
    const year = nearestYear(month, day, now, ctx.timeZone);
    if (year === undefined) throw badTime();
    return pickExplicit(instantsAt({ year, month, day, hour, minute }, ctx.timeZone), latest, input);
  }

  const iso = ISO_DATE_TIME.exec(text.toUpperCase());
  if (iso) {
    const hour = Number(iso[4]);
    const minute = Number(iso[5]);
    const second = Number(iso[6] ?? 0);
    // luxon reads `24:00` as the next midnight; `HH:MM` rejects it, so ISO does too.
    if (!isClock(hour, minute) || second > 59) throw badTime();
    if (iso[8]) {
      const parsed = DateTime.fromISO(text.toUpperCase(), { setZone: true });
      if (!parsed.isValid) throw badTime();
      return pickExplicit([parsed.toJSDate()], latest, input);
    }
    const [year, month, day] = iso.slice(1, 4).map(Number) as [number, number, number];
    const millisecond = Number((iso[7] ?? '0').padEnd(3, '0'));
    const instants = instantsAt({ year, month, day, hour, minute, second, millisecond }, ctx.timeZone);
    if (instants.length === 0) throw badTime();
    return pickExplicit(instants, latest, input);
  }

  throw badTime();
}

function isClock(hour: number, minute: number): boolean {
  return hour <= 23 && minute <= 59;
}

function dateOf(day: DateTime): { year: number; month: number; day: number } {
  return { year: day.year, month: day.month, day: day.day };
}

/**
 * Every instant whose wall clock in `zone` shows `wall`: two in a DST overlap, one otherwise.
 * A time skipped by a DST gap maps to one instant, moved forward by the gap (luxon's and
 * Temporal's "compatible" choice), so `02:30` on a spring-forward night is 03:30 new time.
 * An impossible date (Feb 30) gives none.
 */
function instantsAt(wall: WallTime, zone: string): Date[] {
  const dt = DateTime.fromObject(wall, { zone });
  if (!dt.isValid) return [];
  return dt
    .getPossibleOffsets()
    .map((d) => d.toJSDate())
    .sort((a, b) => a.getTime() - b.getTime());
}

function latestNotAfter(instants: Date[], latest: number): Date | undefined {
  return instants.filter((d) => d.getTime() <= latest).at(-1);
}

/**
 * An explicit date-time: of the DST-ambiguous readings take the most recent one that is not
 * in the future; if every reading is in the future, the person named a future time.
 */
function pickExplicit(instants: Date[], latest: number, input: string): Date {
  const found = latestNotAfter(instants, latest);
  if (found) return found;
  throw new DomainError('future_time', { value: input });
}

/**
 * The year that puts month/day closest to today's date: `12/31` said on January 2 is last
 * year, while `2/27` said on February 26 is this year (and so rejected as future) rather
 * than silently a year ago. On a tie the earlier year wins. Undefined when no nearby year has
 * that date (Feb 29 far from a leap year, or Feb 30).
 */
function nearestYear(month: number, day: number, now: DateTime, zone: string): number | undefined {
  const today = now.startOf('day');
  let best: { year: number; distance: number } | undefined;
  for (const year of [now.year - 1, now.year, now.year + 1]) {
    const date = DateTime.fromObject({ year, month, day }, { zone });
    if (!date.isValid) continue;
    const distance = Math.abs(date.diff(today, 'days').days);
    if (!best || distance < best.distance) best = { year, distance };
  }
  return best?.year;
}

/** Whether a typed time is a bare wall clock (`05:59`, `０５：５９`), the form that means "its most recent occurrence". */
export function isBareClock(input: string): boolean {
  return CLOCK.test(input.normalize('NFKC').trim());
}

/** How a person writes an instant explicitly in `zone`, in the form the parser reads back: `12/6 05:59`. */
export function explicitForm(at: Date, zone: string): string {
  return DateTime.fromJSDate(at, { zone }).toFormat('M/d HH:mm');
}

/**
 * Refuses a bare `HH:MM` whose most recent occurrence falls before the incident began: said
 * at 05:10, `05:59` would be yesterday's 05:59, which nobody typing a clock time means. The
 * error names the date it would have meant and the explicit form that says so on purpose.
 * Explicit forms (`12/6 05:59`, ISO) are taken as written.
 */
export function assertNotBeforeIncident(stated: { at: Date; bareClock?: boolean }, began: Date, zone: string): void {
  if (!stated.bareClock || stated.at.getTime() >= began.getTime()) return;
  const explicit = explicitForm(stated.at, zone);
  throw new DomainError('before_incident', {
    value: DateTime.fromJSDate(stated.at, { zone }).toFormat('HH:mm'),
    meantAt: stated.at.toISOString(),
    beganAt: began.toISOString(),
    explicit,
  });
}
