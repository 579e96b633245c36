import { describe, expect, it } from 'vitest';
import { DomainError } from '../../src/core/errors.ts';
import { incidentSlug, type TimelineEntry } from '../../src/core/incident.ts';
import type { Status } from '../../src/core/model.ts';
import { assertTransition, computeIntervals, deriveStatus, nextUpdateDue } from '../../src/core/timeline.ts';

let seq = 0;
function entry(kind: TimelineEntry['kind'], occurredAt: string, data: Record<string, unknown> = {}): TimelineEntry {
  seq += 1;
  return {
    id: `e${seq}`,
    seq,
    kind,
    authorId: 'u',
    authorName: 'u',
    occurredAt: new Date(occurredAt),
    recordedAt: new Date('2021-02-26T16:00:00Z'),
    text: null,
    sourceLang: 'en',
    data,
  };
}

describe('deriveStatus', () => {
  it('is investigating right after declare', () => {
    expect(deriveStatus([entry('declared', '2021-02-26T13:45:00Z')])).toBe('investigating');
  });

  it('follows the latest status change', () => {
    const entries = [
      entry('declared', '2021-02-26T13:45:00Z'),
      entry('status', '2021-02-26T14:00:00Z', { status: 'identified' }),
      entry('status', '2021-02-26T15:00:00Z', { status: 'monitoring' }),
    ];
    expect(deriveStatus(entries)).toBe('monitoring');
  });

  it('does not let a back-dated change overwrite a newer status', () => {
    const entries = [
      entry('declared', '2021-02-26T13:45:00Z'),
      entry('status', '2021-02-26T15:00:00Z', { status: 'monitoring' }),
      // recorded later, but said to have happened earlier
      entry('status', '2021-02-26T14:00:00Z', { status: 'identified' }),
    ];
    expect(deriveStatus(entries)).toBe('monitoring');
  });

  it('breaks ties on the same instant by insertion order', () => {
    const entries = [
      entry('declared', '2021-02-26T13:45:00Z'),
      entry('status', '2021-02-26T14:00:00Z', { status: 'identified' }),
      entry('status', '2021-02-26T14:00:00Z', { status: 'monitoring' }),
    ];
    expect(deriveStatus(entries)).toBe('monitoring');
  });

  it('ignores entries that set no status', () => {
    const entries = [entry('declared', '2021-02-26T13:45:00Z'), entry('note', '2021-02-26T18:00:00Z'), entry('severity', '2021-02-26T18:00:00Z', { severity: 'SEV1' })];
    expect(deriveStatus(entries)).toBe('investigating');
  });

  it('is closed after the closed entry', () => {
    const entries = [entry('declared', '2021-02-26T13:45:00Z'), entry('status', '2021-02-26T15:30:00Z', { status: 'resolved' }), entry('closed', '2021-02-26T16:00:00Z')];
    expect(deriveStatus(entries)).toBe('closed');
  });
});

describe('assertTransition', () => {
  it.each([
    ['investigating', 'identified'],
    ['investigating', 'monitoring'],
    ['investigating', 'resolved'],
    ['identified', 'investigating'],
    ['monitoring', 'identified'],
    ['monitoring', 'resolved'],
    ['resolved', 'investigating'],
    ['resolved', 'monitoring'],
  ] as [Status, Status][])('allows %s → %s', (from, to) => {
    expect(() => assertTransition(from, to)).not.toThrow();
  });

  it.each([
    ['identified', 'identified', 'same_status'],
    ['resolved', 'resolved', 'same_status'],
    ['monitoring', 'closed', 'bad_transition'],
    ['closed', 'investigating', 'incident_closed'],
    ['closed', 'resolved', 'incident_closed'],
  ] as [Status, Status, string][])('refuses %s → %s with %s', (from, to, code) => {
    try {
      assertTransition(from, to);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(DomainError);
      expect((e as DomainError).code).toBe(code);
    }
  });
});

describe('computeIntervals', () => {
  // The story's outage, in UTC: impact 22:25 JST, declared 22:45, first public 22:50, mitigated 00:15, resolved 00:30.
  const moments = {
    started: new Date('2021-02-26T13:25:00Z'),
    detected: new Date('2021-02-26T13:26:00Z'),
    declared: new Date('2021-02-26T13:45:00Z'),
    first_public: new Date('2021-02-26T13:50:00Z'),
    mitigated: new Date('2021-02-26T15:15:00Z'),
    resolved: new Date('2021-02-26T15:30:00Z'),
  };

  it.each([
    ['detect', 1],
    ['declare', 20],
    ['first_public', 25],
    ['mitigate', 110],
    ['resolve', 125],
  ])('time to %s is %i minutes', (id, minutes) => {
    const interval = computeIntervals(moments).find((i) => i.id === id)!;
    expect('ms' in interval && interval.ms).toBe(minutes * 60_000);
  });

  it('names the missing moment instead of guessing', () => {
    const { started: _started, ...rest } = moments;
    const interval = computeIntervals(rest).find((i) => i.id === 'first_public')!;
    expect(interval).toEqual({ id: 'first_public', from: 'started', to: 'first_public', missing: ['started'] });
  });
});

describe('nextUpdateDue', () => {
  const declared = new Date('2021-02-26T13:45:00Z');
  const base = { status: 'investigating' as Status, visibility: 'public' as const, remindMinutes: null, moments: { declared }, publicUpdates: [] };

  it('is 10 minutes after declare until the first public update', () => {
    expect(nextUpdateDue(base, 30)).toEqual(new Date('2021-02-26T13:55:00Z'));
  });

  it('follows the cadence after the last public update', () => {
    const published = { publishedAt: new Date('2021-02-26T14:00:00Z') } as never;
    expect(nextUpdateDue({ ...base, remindMinutes: 15, publicUpdates: [published] }, 30)).toEqual(new Date('2021-02-26T14:15:00Z'));
  });

  it('is never due for private or resolved incidents', () => {
    expect(nextUpdateDue({ ...base, visibility: 'private' }, 30)).toBeUndefined();
    expect(nextUpdateDue({ ...base, status: 'resolved' }, 30)).toBeUndefined();
  });
});

describe('incidentSlug', () => {
  it.each([
    [42, 'API errors in EU', 'inc-42-api-errors-in-eu'],
    [7, 'Café — login fails!!', 'inc-7-cafe-login-fails'],
    [3, 'コンソール障害', 'inc-3'],
    [12, '  --Weird__ title--  ', 'inc-12-weird-title'],
  ])('%i %s → %s', (n, title, slug) => {
    expect(incidentSlug(n, title)).toBe(slug);
  });

  it('stays within 80 characters, cutting at a word boundary', () => {
    const slug = incidentSlug(123, 'word '.repeat(40));
    expect(slug.length).toBeLessThanOrEqual(80);
    expect(slug).toMatch(/^inc-123(-word)+$/);
  });
});
