import { describe, expect, it } from 'vitest';
import { DomainError, isDomainError } from '../../src/core/errors.ts';
import { FUTURE_TOLERANCE_MS, resolveTimeExpression } from '../../src/core/time.ts';

const TOKYO = 'Asia/Tokyo';
const NEW_YORK = 'America/New_York';
const UTC = 'UTC';

function resolve(input: string, now: string, timeZone: string): string {
  return resolveTimeExpression(input, { now: new Date(now), timeZone }).toISOString();
}

function errorOf(run: () => unknown): DomainError {
  try {
    run();
  } catch (e) {
    if (isDomainError(e)) return e;
    throw e;
  }
  throw new Error('expected a DomainError');
}

describe('resolveTimeExpression', () => {
  it('tolerates five minutes of clock skew', () => {
    expect(FUTURE_TOLERANCE_MS).toBe(5 * 60_000);
  });

  it.each([
    // [what, input, now, zone, expected]
    ['HH:MM earlier today in Tokyo', '22:25', '2021-02-26T14:00:00Z', TOKYO, '2021-02-26T13:25:00.000Z'],
    ['H:MM earlier today in Tokyo', '0:05', '2021-02-26T15:10:00Z', TOKYO, '2021-02-26T15:05:00.000Z'],
    ['zero-padded H:MM', '09:00', '2021-02-26T01:00:00Z', TOKYO, '2021-02-26T00:00:00.000Z'],
    ['HH:MM earlier today in UTC', '22:25', '2021-02-26T23:00:00Z', UTC, '2021-02-26T22:25:00.000Z'],
    ['HH:MM later today means yesterday in UTC', '23:50', '2021-02-27T00:10:00Z', UTC, '2021-02-26T23:50:00.000Z'],
    ['midnight crossing in Tokyo (23:50 said at 00:10 JST)', '23:50', '2021-02-26T15:10:00Z', TOKYO, '2021-02-26T14:50:00.000Z'],
    ['the current minute', '00:10', '2021-02-26T15:10:30Z', TOKYO, '2021-02-26T15:10:00.000Z'],
    ['a minute ahead is skew, not yesterday', '10:31', '2021-02-26T10:30:45Z', UTC, '2021-02-26T10:31:00.000Z'],
    ['exactly five minutes ahead is still today', '10:35', '2021-02-26T10:30:00Z', UTC, '2021-02-26T10:35:00.000Z'],
    ['a millisecond past the tolerance is yesterday', '10:35', '2021-02-26T10:29:59.999Z', UTC, '2021-02-25T10:35:00.000Z'],
    ['six minutes ahead is yesterday', '10:36', '2021-02-26T10:30:00Z', UTC, '2021-02-25T10:36:00.000Z'],
    ['full-width digits and colon', '２２：２５', '2021-02-26T14:00:00Z', TOKYO, '2021-02-26T13:25:00.000Z'],
    ['surrounding spaces, also U+3000', '\u3000 22:25 ', '2021-02-26T14:00:00Z', TOKYO, '2021-02-26T13:25:00.000Z'],
    ['New York before the spring gap', '01:30', '2021-03-14T12:00:00Z', NEW_YORK, '2021-03-14T06:30:00.000Z'],
    ['a time skipped by the spring gap moves forward by the gap', '02:30', '2021-03-14T12:00:00Z', NEW_YORK, '2021-03-14T07:30:00.000Z'],
    ['New York after the spring gap', '03:30', '2021-03-14T12:00:00Z', NEW_YORK, '2021-03-14T07:30:00.000Z'],
    ['yesterday across the spring gap', '23:00', '2021-03-14T07:30:00Z', NEW_YORK, '2021-03-14T04:00:00.000Z'],
    ['overlap after both passes: the second (EST) pass', '01:30', '2021-11-07T08:00:00Z', NEW_YORK, '2021-11-07T06:30:00.000Z'],
    ['overlap during the first pass: the first (EDT) pass', '01:30', '2021-11-07T05:40:00Z', NEW_YORK, '2021-11-07T05:30:00.000Z'],
    ['overlap early in the second pass: the EDT pass, EST is ahead', '01:30', '2021-11-07T06:20:00Z', NEW_YORK, '2021-11-07T05:30:00.000Z'],
    ['overlap in the second pass within tolerance: the EST pass', '01:30', '2021-11-07T06:27:00Z', NEW_YORK, '2021-11-07T06:30:00.000Z'],
    ['M/D HH:MM earlier the same night', '2/26 23:00', '2021-02-26T15:10:00Z', TOKYO, '2021-02-26T14:00:00.000Z'],
    ['M/D H:MM', '2/27 0:05', '2021-02-26T15:10:00Z', TOKYO, '2021-02-26T15:05:00.000Z'],
    ['M/D with U+3000 and full-width slash', '２／２６\u300023:00', '2021-02-26T15:10:00Z', TOKYO, '2021-02-26T14:00:00.000Z'],
    ['M/D across new year is last year', '12/31 23:50', '2021-12-31T15:30:00Z', TOKYO, '2021-12-31T14:50:00.000Z'],
    ['M/D two days after new year is last year', '12/31 23:50', '2022-01-02T00:00:00Z', UTC, '2021-12-31T23:50:00.000Z'],
    ['M/D just past new year, within tolerance', '1/1 0:02', '2021-12-31T23:59:00Z', UTC, '2022-01-01T00:02:00.000Z'],
    ['M/D months ago this year', '1/15 9:00', '2021-06-01T00:00:00Z', UTC, '2021-01-15T09:00:00.000Z'],
    ['M/D more than half a year ahead is last year', '11/1 9:00', '2021-02-26T00:00:00Z', UTC, '2020-11-01T09:00:00.000Z'],
    ['Feb 29 falls back to the last leap year', '2/29 10:00', '2025-01-05T00:00:00Z', UTC, '2024-02-29T10:00:00.000Z'],
    ['M/D in the overlap: the most recent pass', '11/7 1:30', '2021-11-07T08:00:00Z', NEW_YORK, '2021-11-07T06:30:00.000Z'],
    ['ISO with Z', '2021-02-26T13:25:00Z', '2021-02-26T15:10:00Z', TOKYO, '2021-02-26T13:25:00.000Z'],
    ['ISO with offset', '2021-02-26T22:25+09:00', '2021-02-26T15:10:00Z', UTC, '2021-02-26T13:25:00.000Z'],
    ['ISO with compact offset', '2021-02-26T22:25:00+0900', '2021-02-26T15:10:00Z', UTC, '2021-02-26T13:25:00.000Z'],
    ['ISO with milliseconds', '2021-02-26T13:25:00.5Z', '2021-02-26T15:10:00Z', UTC, '2021-02-26T13:25:00.500Z'],
    ['ISO in lowercase', '2021-02-26t13:25z', '2021-02-26T15:10:00Z', UTC, '2021-02-26T13:25:00.000Z'],
    ['ISO without offset is in the team zone', '2021-02-26T22:25', '2021-02-26T15:10:00Z', TOKYO, '2021-02-26T13:25:00.000Z'],
    ['ISO without offset in UTC', '2021-02-26T13:25:00', '2021-02-26T15:10:00Z', UTC, '2021-02-26T13:25:00.000Z'],
    ['ISO without offset in the spring gap', '2021-03-14T02:30', '2021-03-14T12:00:00Z', NEW_YORK, '2021-03-14T07:30:00.000Z'],
    ['ISO without offset in the overlap, both past: the later', '2021-11-07T01:30', '2021-11-07T08:00:00Z', NEW_YORK, '2021-11-07T06:30:00.000Z'],
    ['ISO without offset in the overlap, later ahead: the earlier', '2021-11-07T01:30', '2021-11-07T05:40:00Z', NEW_YORK, '2021-11-07T05:30:00.000Z'],
    ['ISO exactly five minutes ahead', '2021-02-26T10:05:00Z', '2021-02-26T10:00:00Z', UTC, '2021-02-26T10:05:00.000Z'],
  ])('%s', (_what, input, now, zone, expected) => {
    expect(resolve(input, now, zone)).toBe(expected);
  });

  it.each([
    ['25:00'],
    ['24:00'],
    ['12:60'],
    ['1:5'],
    ['123:45'],
    ['10:00:00'],
    ['garbage'],
    [''],
    ['22.25'],
    ['2021-02-26'],
    ['2021-02-30T10:00'],
    ['2021-02-26T24:00Z'],
    ['2021-02-26T10:00:61Z'],
    ['2021-W08-5T10:00'],
    ['13/1 10:00'],
    ['2/30 10:00'],
    ['2/26 25:00'],
    ['2/26'],
  ])('rejects %j as bad_time', (input) => {
    const error = errorOf(() => resolve(input, '2021-02-26T15:10:00Z', TOKYO));
    expect([error.code, error.params]).toEqual(['bad_time', { value: input }]);
  });

  it('rejects Feb 29 when no nearby year has one', () => {
    const error = errorOf(() => resolve('2/29 10:00', '2026-03-01T00:00:00Z', UTC));
    expect([error.code, error.params]).toEqual(['bad_time', { value: '2/29 10:00' }]);
  });

  it.each([
    ['ISO with Z six minutes ahead', '2021-02-26T10:06:00Z', '2021-02-26T10:00:00Z', UTC],
    ['ISO with offset tomorrow', '2021-02-28T09:00+09:00', '2021-02-26T15:10:00Z', UTC],
    ['ISO without offset later tonight', '2021-02-27T09:00', '2021-02-26T15:10:00Z', TOKYO],
    ['M/D tomorrow', '2/28 0:20', '2021-02-26T15:10:00Z', TOKYO],
    ['M/D later today', '2/27 9:00', '2021-02-26T15:10:00Z', TOKYO],
    ['M/D next month', '3/15 9:00', '2021-02-26T15:10:00Z', TOKYO],
    ['M/D early next year', '1/5 9:00', '2021-12-31T12:00:00Z', UTC],
  ])('rejects %s as future_time', (_what, input, now, zone) => {
    const error = errorOf(() => resolve(input, now, zone));
    expect([error.code, error.params]).toEqual(['future_time', { value: input }]);
  });

  it('refuses an unknown time zone as a programming error', () => {
    expect(() => resolve('10:00', '2021-02-26T10:00:00Z', 'Mars/Olympus')).toThrow(RangeError);
  });
});
