import { describe, expect, it } from 'vitest';
import type { PublicIncident, StatusData } from '../../src/status-page/data.ts';
import { componentHistory, incidentImpact, pageIndicator } from '../../src/status-page/view.ts';

const HOUR = 3_600_000;
const NOW = new Date('2026-03-10T12:00:00Z');
const component = { id: 'api', name: 'API', names: {}, position: 0, createdAt: new Date('2025-01-01T00:00:00Z') };

function incident(id: string, windows: { impact: 'degraded_performance' | 'partial_outage' | 'major_outage'; since: Date }[], resolvedAt: Date | null): PublicIncident {
  const at = windows[0]!.since;
  return {
    id,
    number: 1,
    title: id,
    severity: 'SEV2',
    status: resolvedAt ? 'resolved' : 'investigating',
    publicStatus: resolvedAt ? 'resolved' : 'investigating',
    createdAt: at,
    startedAt: at,
    resolvedAt,
    monitoringAt: null,
    updatedAt: at,
    updates: [{ id: `${id}-u`, status: 'investigating', sourceLang: 'en', body: 'x', bodies: { en: 'x' }, publishedAt: at, updatedAt: at }],
    components: windows.map((w) => ({ id: 'api', ...w })),
  };
}

const data = (incidents: PublicIncident[]): StatusData => ({ components: [component], incidents, updatedAt: NOW, readAt: NOW });

describe('componentHistory', () => {
  it('counts overlapping windows of one impact once', () => {
    const a = incident('a', [{ impact: 'major_outage', since: new Date('2026-03-09T10:00:00Z') }], new Date('2026-03-09T12:00:00Z'));
    const b = incident('b', [{ impact: 'major_outage', since: new Date('2026-03-09T11:00:00Z') }], new Date('2026-03-09T13:00:00Z'));
    const [history] = componentHistory(data([a, b]), 'UTC');
    const day = history!.days.find((d) => d.date === '2026-03-09')!;
    expect(day.impactMs.major_outage).toBe(3 * HOUR);
    expect(day.worst).toBe('major_outage');
    expect(day.incidents.map((i) => i.id).sort()).toEqual(['a', 'b']);
  });

  it('weights major outage fully, partial 30 % and degraded performance not at all', () => {
    const major = incident('m', [{ impact: 'major_outage', since: new Date('2026-03-01T00:00:00Z') }], new Date('2026-03-01T10:00:00Z'));
    const partial = incident('p', [{ impact: 'partial_outage', since: new Date('2026-03-02T00:00:00Z') }], new Date('2026-03-02T10:00:00Z'));
    const degraded = incident('d', [{ impact: 'degraded_performance', since: new Date('2026-03-03T00:00:00Z') }], new Date('2026-03-03T10:00:00Z'));
    const [history] = componentHistory(data([major, partial, degraded]), 'UTC');
    const total = NOW.getTime() - history!.days[0]!.start.getTime();
    expect(history!.uptime).toBeCloseTo(1 - (10 * HOUR + 3 * HOUR) / total, 10);
  });

  it('runs an open incident up to now and splits days in the reader\'s zone', () => {
    const open = incident('o', [{ impact: 'partial_outage', since: new Date('2026-03-09T20:00:00Z') }], null);
    const [utc] = componentHistory(data([open]), 'UTC');
    expect(utc!.days.at(-1)).toMatchObject({ date: '2026-03-10', impactMs: { partial_outage: 12 * HOUR } });
    expect(utc!.days.at(-2)).toMatchObject({ date: '2026-03-09', impactMs: { partial_outage: 4 * HOUR } });
    // In Tokyo the whole window (05:00 to 21:00 on the 10th) is one day.
    const [tokyo] = componentHistory(data([open]), 'Asia/Tokyo');
    expect(tokyo!.days.at(-1)).toMatchObject({ date: '2026-03-10', impactMs: { partial_outage: 16 * HOUR } });
    expect(tokyo!.days).toHaveLength(90);
  });
});

describe('indicators', () => {
  it.each([
    ['degraded_performance', 'minor'],
    ['partial_outage', 'major'],
    ['major_outage', 'critical'],
  ] as const)('an open incident with %s gives impact and page indicator %s', (impact, expected) => {
    const open = incident('o', [{ impact, since: NOW }], null);
    expect(incidentImpact(open)).toBe(expected);
    expect(pageIndicator(data([open]))).toBe(expected);
  });

  it('a resolved incident leaves the page at none', () => {
    expect(pageIndicator(data([incident('r', [{ impact: 'major_outage', since: NOW }], NOW)]))).toBe('none');
  });
});
