import { describe, expect, it } from 'vitest';
import { parseCommand } from '../../src/core/command-parser.ts';
import { DomainError } from '../../src/core/errors.ts';
import type { TimelineEntry } from '../../src/core/incident.ts';
import { assertNotBeforeIncident, explicitForm } from '../../src/core/time.ts';
import { assertNotOvertaken, movedImpactWindows } from '../../src/core/timeline.ts';

const at = (iso: string) => new Date(iso);

function caught(run: () => unknown): DomainError | undefined {
  try {
    run();
    return undefined;
  } catch (e) {
    if (e instanceof DomainError) return e;
    throw e;
  }
}

/** Parses `update at <typed> x` as the person in `zone` at `now`, then applies the before-the-incident rule. */
function backdate(typed: string, zone: string, now: string, began: string): { at: Date } | DomainError {
  const { command } = parseCommand(`update at ${typed} x`, { now: at(now), timeZone: zone });
  if (command.verb !== 'update' || !command.at) throw new Error('not a back-dated update');
  const stated = { at: command.at, bareClock: command.bareClock ?? false };
  return caught(() => assertNotBeforeIncident(stated, at(began), zone)) ?? { at: command.at };
}

describe('typed times: a bare HH:MM before the incident began is refused', () => {
  it.each([
    // zone, now, incident began, typed → accepted instant, or the explicit form the refusal offers
    ['the issue: 05:59 said at 05:10 is yesterday', 'UTC', '2026-12-07T05:10:00Z', '2026-12-07T05:09:00Z', '05:59', { refused: '12/6 05:59' }],
    ['written out, the same day is taken as meant', 'UTC', '2026-12-07T05:10:00Z', '2026-12-07T05:09:00Z', '12/6 05:59', { at: '2026-12-06T05:59:00Z' }],
    ['a minute after the start is fine', 'UTC', '2026-12-07T05:10:00Z', '2026-12-07T05:09:00Z', '05:10', { at: '2026-12-07T05:10:00Z' }],
    ['ISO is taken as written', 'UTC', '2026-12-07T05:10:00Z', '2026-12-07T05:09:00Z', '2026-12-06T05:59Z', { at: '2026-12-06T05:59:00Z' }],
    ['midnight: 23:55 said at 00:10 is yesterday evening, after the start', 'Asia/Tokyo', '2026-12-06T15:10:00Z', '2026-12-06T14:50:00Z', '23:55', { at: '2026-12-06T14:55:00Z' }],
    ['midnight: 23:40 is before the 23:50 start', 'Asia/Tokyo', '2026-12-06T15:10:00Z', '2026-12-06T14:50:00Z', '23:40', { refused: '12/6 23:40' }],
    ['midnight: 00:05 just after midnight', 'Asia/Tokyo', '2026-12-06T15:10:00Z', '2026-12-06T14:50:00Z', '00:05', { at: '2026-12-06T15:05:00Z' }],
    ['London spring forward: 00:45 GMT after a 00:30 start', 'Europe/London', '2026-03-29T01:20:00Z', '2026-03-29T00:30:00Z', '00:45', { at: '2026-03-29T00:45:00Z' }],
    ['London spring forward: 00:15 GMT before a 00:30 start', 'Europe/London', '2026-03-29T01:20:00Z', '2026-03-29T00:30:00Z', '00:15', { refused: '3/29 00:15' }],
    // 01:30 does not exist that night (it reads 02:30 BST, still ahead), so it meant the night before.
    ['London spring forward: the skipped 01:30 lands on the day before', 'Europe/London', '2026-03-29T01:20:00Z', '2026-03-29T00:30:00Z', '01:30', { refused: '3/28 01:30' }],
    ['New York fall back: 01:50 is the EDT reading, after a 01:40 EDT start', 'America/New_York', '2026-11-01T06:20:00Z', '2026-11-01T05:40:00Z', '01:50', { at: '2026-11-01T05:50:00Z' }],
    // 01:30 EST (06:30Z) is still ahead; 01:30 EDT is before the start.
    ['New York fall back: 01:30 is before a 01:40 EDT start', 'America/New_York', '2026-11-01T06:20:00Z', '2026-11-01T05:40:00Z', '01:30', { refused: '11/1 01:30' }],
    ['New York spring forward: 03:10 EDT after a 01:50 EST start', 'America/New_York', '2026-03-08T07:20:00Z', '2026-03-08T06:50:00Z', '03:10', { at: '2026-03-08T07:10:00Z' }],
  ] as const)('%s', (_name, zone, now, began, typed, expected) => {
    const result = backdate(typed, zone, now, began);
    if ('refused' in expected) {
      expect(result).toBeInstanceOf(DomainError);
      const e = result as DomainError;
      expect(e.code).toBe('before_incident');
      expect(e.params.explicit).toBe(expected.refused);
      // The explicit form it offers reads back as the same instant, and is then accepted.
      const again = backdate(expected.refused, zone, now, began);
      expect(again).toEqual({ at: new Date(e.params.meantAt as string) });
    } else {
      expect(result).toEqual({ at: at(expected.at) });
    }
  });
});

describe('typed times: read in the zone of the person who typed them', () => {
  it.each([
    ['Tokyo user, --started 14:05 at 15:00 JST', 'Asia/Tokyo', '2026-12-07T06:00:00Z', '2026-12-07T05:05:00Z'],
    ['same words in the team zone UTC mean the day before', 'UTC', '2026-12-07T06:00:00Z', '2026-12-06T14:05:00Z'],
    ['New York user at 01:00 EST', 'America/New_York', '2026-12-07T06:00:00Z', '2026-12-06T19:05:00Z'],
    ['London user in summer time', 'Europe/London', '2026-07-07T14:00:00Z', '2026-07-07T13:05:00Z'],
  ])('%s', (_name, zone, now, expected) => {
    const { command } = parseCommand('declare API down --started 14:05', { now: at(now), timeZone: zone });
    expect(command).toMatchObject({ verb: 'declare', started: at(expected) });
  });

  it.each([
    ['2026-12-06T05:59:00Z', 'UTC', '12/6 05:59'],
    ['2026-12-06T20:59:00Z', 'Asia/Tokyo', '12/7 05:59'],
    ['2026-11-01T05:30:00Z', 'America/New_York', '11/1 01:30'],
  ])('writes %s in %s as %s', (iso, zone, expected) => {
    expect(explicitForm(at(iso), zone)).toBe(expected);
  });
});

describe('typed times: which forms are bare clocks', () => {
  it.each([
    ['update at 05:59 x', true],
    ['update at ０５：５９ x', true],
    ['update at 12/6 05:59 x', undefined],
    ['update at 2026-12-06T05:59Z x', undefined],
    ['status identified at 5:05 found it', true],
    ['mitigated 05:20', true],
    ['mitigated 12/7 05:20', undefined],
  ])('%s', (text, bare) => {
    const { command } = parseCommand(text, { now: at('2026-12-07T06:00:00Z'), timeZone: 'UTC' });
    expect((command as { bareClock?: true }).bareClock).toBe(bare);
  });
});

let seq = 0;
function entry(kind: TimelineEntry['kind'], occurredAt: string, data: Record<string, unknown> = {}): TimelineEntry {
  seq += 1;
  return { id: `e${seq}`, seq, kind, authorId: 'u', authorName: 'u', occurredAt: at(occurredAt), recordedAt: at(occurredAt), text: null, sourceLang: 'en', data };
}

describe('assertNotOvertaken: a back-dated status change before a later one is refused', () => {
  const entries = [entry('declared', '2026-12-07T05:09:00Z'), entry('status', '2026-12-07T05:30:00Z', { status: 'monitoring' }), entry('note', '2026-12-07T05:40:00Z')];
  it.each([
    ['before the declare', '2026-12-07T05:05:00Z', 'monitoring'],
    ['between declare and the later change', '2026-12-07T05:20:00Z', 'monitoring'],
  ])('%s', (_name, when, status) => {
    const e = caught(() => assertNotOvertaken(entries, at(when)));
    expect(e?.code).toBe('status_overtaken');
    expect(e?.params).toMatchObject({ status, laterAt: expect.any(String) });
    expect(e?.verb).toBe('status');
  });

  it.each([
    ['at the same minute as the latest change', '2026-12-07T05:30:00Z'],
    ['after every change (notes do not count)', '2026-12-07T05:35:00Z'],
  ])('accepts %s', (_name, when) => {
    expect(caught(() => assertNotOvertaken(entries, at(when)))).toBeUndefined();
  });

  it('names the latest of several later changes', () => {
    const more = [...entries, entry('status', '2026-12-07T05:50:00Z', { status: 'resolved' })];
    expect(caught(() => assertNotOvertaken(more, at('2026-12-07T05:20:00Z')))?.params.status).toBe('resolved');
  });
});

describe('movedImpactWindows: correcting started moves the components with it', () => {
  const oldStart = at('2026-12-06T05:00:00Z');
  const components = [
    { id: 'api', since: oldStart },
    { id: 'console', since: at('2026-12-07T05:20:00Z') },
  ];
  it.each([
    ['a start moved a day later moves the windows that began with it', '2026-12-07T05:00:00Z', [{ id: 'api', since: '2026-12-07T05:00:00Z' }]],
    ['an earlier start moves them back too', '2026-12-06T04:30:00Z', [{ id: 'api', since: '2026-12-06T04:30:00Z' }]],
    ['no window may begin before the new start', '2026-12-07T05:30:00Z', [{ id: 'api', since: '2026-12-07T05:30:00Z' }, { id: 'console', since: '2026-12-07T05:30:00Z' }]],
    ['the same start moves nothing', '2026-12-06T05:00:00Z', []],
  ])('%s', (_name, newStart, expected) => {
    expect(movedImpactWindows(components, oldStart, at(newStart))).toEqual(expected.map((w) => ({ id: w.id, since: at(w.since) })));
  });
});

describe('reopen', () => {
  const ctx = { now: at('2026-12-07T06:00:00Z'), timeZone: 'UTC' };
  it.each([
    ['reopen', { verb: 'reopen' }],
    ['reopen errors are back', { verb: 'reopen', reason: 'errors are back' }],
    ['再開 エラー再発', { verb: 'reopen', reason: 'エラー再発' }],
  ])('%s', (text, expected) => {
    expect(parseCommand(text, ctx).command).toEqual(expected);
  });

  it('takes an incident reference', () => {
    expect(parseCommand('INC-4 reopen', ctx)).toEqual({ command: { verb: 'reopen' }, incidentNumber: 4 });
  });
});
