import { and, desc, eq, inArray, type SQL, sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import * as t from '../db/schema.ts';
import type { Viewer } from './context.ts';

/** Open statuses; resolved and closed incidents are "past". */
export const OPEN_STATUSES = ['investigating', 'identified', 'monitoring'] as const;

/**
 * The incidents the viewer may see, as SQL: every one for an administrator; otherwise public
 * ones and private ones they respond to — the same people `isResponder` admits (declarer, role
 * holder, anyone who acted in it).
 */
export function visibleTo(viewer: Viewer): SQL | undefined {
  if (viewer.isAdmin) return undefined;
  const me = viewer.actor.id;
  return sql`(${t.incident.visibility} = 'public'
    or ${t.incident.declaredBy} = ${me}
    or exists (select 1 from ${t.incidentRole} where ${t.incidentRole.incidentId} = ${t.incident.id} and ${t.incidentRole.userId} = ${me})
    or exists (select 1 from ${t.responder} where ${t.responder.incidentId} = ${t.incident.id} and ${t.responder.userId} = ${me}))`;
}

/** The list's filters, as the query string gives them. */
export interface IncidentFilter {
  /** `open`, `past`, or one status. */
  status?: string | undefined;
  severity?: string | undefined;
  component?: string | undefined;
  /** Words searched in titles and timelines. */
  q?: string | undefined;
}

export interface IncidentRow {
  id: string;
  number: number;
  title: string;
  severity: string;
  status: string;
  visibility: string;
  createdAt: Date;
  updatedAt: Date;
}

const STATUSES = ['investigating', 'identified', 'monitoring', 'resolved', 'closed'];

/**
 * Full-text search on titles and timeline text with the `simple` configuration (no stemming,
 * so English and Japanese words are matched as written), plus a substring match for text
 * written without spaces (Japanese), which a whitespace tokenizer sees as one long word.
 */
function searchCondition(q: string): SQL {
  const like = `%${q.replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
  return sql`(to_tsvector('simple', ${t.incident.title}) @@ websearch_to_tsquery('simple', ${q})
    or ${t.incident.title} ilike ${like}
    or exists (select 1 from ${t.timelineEntry} where ${t.timelineEntry.incidentId} = ${t.incident.id}
      and (to_tsvector('simple', coalesce(${t.timelineEntry.text}, '')) @@ websearch_to_tsquery('simple', ${q}) or ${t.timelineEntry.text} ilike ${like})))`;
}

/** Incidents the viewer may see that match the filter, newest first (at most `limit`). */
export async function listIncidents(db: Db, viewer: Viewer, filter: IncidentFilter, limit = 200): Promise<IncidentRow[]> {
  const conditions: (SQL | undefined)[] = [visibleTo(viewer)];
  if (filter.status === 'open') conditions.push(inArray(t.incident.status, [...OPEN_STATUSES]));
  else if (filter.status === 'past') conditions.push(inArray(t.incident.status, ['resolved', 'closed']));
  else if (filter.status && STATUSES.includes(filter.status)) conditions.push(eq(t.incident.status, filter.status));
  if (filter.severity && /^SEV[1-4]$/.test(filter.severity)) conditions.push(eq(t.incident.severity, filter.severity));
  if (filter.component) {
    conditions.push(
      sql`exists (select 1 from ${t.incidentComponent} where ${t.incidentComponent.incidentId} = ${t.incident.id} and ${t.incidentComponent.componentId} = ${filter.component})`,
    );
  }
  const q = filter.q?.trim().slice(0, 200);
  if (q) conditions.push(searchCondition(q));
  return db
    .select({
      id: t.incident.id,
      number: t.incident.number,
      title: t.incident.title,
      severity: t.incident.severity,
      status: t.incident.status,
      visibility: t.incident.visibility,
      createdAt: t.incident.createdAt,
      updatedAt: t.incident.updatedAt,
    })
    .from(t.incident)
    .where(and(...conditions))
    .orderBy(desc(t.incident.number))
    .limit(limit);
}

/** Every component in the catalog, in its order. */
export async function listComponents(db: Db): Promise<{ id: string; name: string; names: Record<string, string> }[]> {
  return db.select({ id: t.component.id, name: t.component.name, names: t.component.names }).from(t.component).orderBy(t.component.position, t.component.id);
}
