import { and, eq, inArray } from 'drizzle-orm';
import { DateTime } from 'luxon';
import type { KeyMoment } from '../core/model.ts';
import { computeIntervals, INTERVALS, type IntervalId } from '../core/timeline.ts';
import type { Db } from '../db/client.ts';
import * as t from '../db/schema.ts';
import type { Viewer } from './context.ts';
import { visibleTo } from './queries.ts';

/** The intervals measured, in order: time to detect, declare, first public notice, mitigate, resolve. */
export const INTERVAL_IDS: readonly IntervalId[] = INTERVALS.map((i) => i.id);

/** One incident's intervals (ms from impact start), undefined where a key moment was not recorded. */
export interface IncidentMetrics {
  number: number;
  title: string;
  severity: string;
  started: Date;
  /** `yyyy-MM` of `started` in the viewer's zone. */
  month: string;
  intervals: Partial<Record<IntervalId, number>>;
}

/** Medians of one group (a month or a severity). */
export interface GroupMedians {
  group: string;
  incidents: number;
  medians: Partial<Record<IntervalId, number>>;
}

/** How long readers of one language waited for their translation after publishing. */
export interface TranslationWait {
  lang: string;
  updates: number;
  medianMs: number | undefined;
  maxMs: number | undefined;
  missing: number;
}

export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The intervals of every incident the viewer may see, oldest first. */
export async function incidentMetrics(db: Db, viewer: Viewer, zone: string): Promise<IncidentMetrics[]> {
  const incidents = await db
    .select({ id: t.incident.id, number: t.incident.number, title: t.incident.title, severity: t.incident.severity, createdAt: t.incident.createdAt })
    .from(t.incident)
    .where(visibleTo(viewer))
    .orderBy(t.incident.number);
  if (incidents.length === 0) return [];
  const moments = await db
    .select({ incidentId: t.keyMoment.incidentId, kind: t.keyMoment.kind, at: t.keyMoment.at })
    .from(t.keyMoment)
    .where(inArray(t.keyMoment.incidentId, incidents.map((i) => i.id)));
  return incidents.map((incident) => {
    const own: Partial<Record<KeyMoment, Date>> = {};
    for (const m of moments) if (m.incidentId === incident.id) own[m.kind as KeyMoment] = m.at;
    const intervals: Partial<Record<IntervalId, number>> = {};
    for (const interval of computeIntervals(own)) if ('ms' in interval) intervals[interval.id] = Math.max(0, interval.ms);
    const started = own.started ?? own.declared ?? incident.createdAt;
    return {
      number: incident.number,
      title: incident.title,
      severity: incident.severity,
      started,
      month: DateTime.fromJSDate(started, { zone }).toFormat('yyyy-MM'),
      intervals,
    };
  });
}

/** Medians of each interval per group, groups in order. */
export function mediansBy(rows: readonly IncidentMetrics[], groupOf: (row: IncidentMetrics) => string): GroupMedians[] {
  const groups = new Map<string, IncidentMetrics[]>();
  for (const row of rows) groups.set(groupOf(row), [...(groups.get(groupOf(row)) ?? []), row]);
  return [...groups.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([group, members]) => {
      const medians: Partial<Record<IntervalId, number>> = {};
      for (const id of INTERVAL_IDS) {
        const m = median(members.flatMap((r) => (r.intervals[id] === undefined ? [] : [r.intervals[id]!])));
        if (m !== undefined) medians[id] = m;
      }
      return { group, incidents: members.length, medians };
    });
}

/**
 * Translation wait per language over the published updates of incidents the viewer may see: 0
 * for a translation there when the update was published (approved with it), the time from
 * publishing to its arrival for one that came after, and a count of those still missing.
 */
export async function translationWaits(db: Db, viewer: Viewer, locales: readonly string[]): Promise<TranslationWait[]> {
  const updates = await db
    .select({ id: t.publicUpdate.id, sourceLang: t.publicUpdate.sourceLang, publishedAt: t.publicUpdate.publishedAt })
    .from(t.publicUpdate)
    .innerJoin(t.incident, eq(t.incident.id, t.publicUpdate.incidentId))
    .where(and(eq(t.publicUpdate.state, 'published'), visibleTo(viewer)));
  const translations = updates.length
    ? await db
        .select({ updateId: t.publicUpdateTranslation.updateId, lang: t.publicUpdateTranslation.lang, updatedAt: t.publicUpdateTranslation.updatedAt, origin: t.publicUpdateTranslation.origin })
        .from(t.publicUpdateTranslation)
        .where(inArray(t.publicUpdateTranslation.updateId, updates.map((u) => u.id)))
    : [];
  return locales.map((lang) => {
    const waits: number[] = [];
    let missing = 0;
    for (const update of updates) {
      if (update.sourceLang === lang || !update.publishedAt) continue;
      const tr = translations.find((x) => x.updateId === update.id && x.lang === lang);
      if (!tr) missing += 1;
      else waits.push(tr.origin === 'approved' ? 0 : Math.max(0, tr.updatedAt.getTime() - update.publishedAt.getTime()));
    }
    return { lang, updates: waits.length + missing, medianMs: median(waits), maxMs: waits.length ? Math.max(...waits) : undefined, missing };
  });
}

/** A cell of the CSV export: quoted, and never read as a formula by a spreadsheet. */
function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** The per-incident metrics as CSV (minutes, one decimal; empty where not recorded). */
export function metricsCsv(rows: readonly IncidentMetrics[]): string {
  const header = ['incident', 'title', 'severity', 'started', ...INTERVAL_IDS.map((id) => `${id}_minutes`)];
  const lines = rows.map((r) =>
    [`INC-${r.number}`, r.title, r.severity, r.started.toISOString(), ...INTERVAL_IDS.map((id) => (r.intervals[id] === undefined ? '' : (r.intervals[id]! / 60_000).toFixed(1)))]
      .map(csvCell)
      .join(','),
  );
  return `${[header.join(','), ...lines].join('\r\n')}\r\n`;
}
