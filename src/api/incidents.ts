import { and, desc, eq, inArray, lt, type SQL } from 'drizzle-orm';
import type { z } from 'zod';
import { componentName, type IncidentSnapshot, type PublicUpdateView } from '../core/incident.ts';
import { formatIncidentRef, OPEN_STATUSES, type Impact, type Severity, type Status, type Visibility } from '../core/model.ts';
import type { Db } from '../db/client.ts';
import * as t from '../db/schema.ts';
import type { Incident, IncidentList, IncidentSummary, ListIncidentsQuery, PublicUpdateView as PublicUpdateJson } from './schemas.ts';

/** Where the API lives. */
export const API_BASE = '/api/v1';

const DEFAULT_PAGE = 20;

/** An incident's address in the API. */
export function incidentPath(number: number): string {
  return `${API_BASE}/incidents/${number}`;
}

/**
 * Incidents newest first, private ones included (a token has a responder's rights), filtered by
 * status or openness, a page at a time: `before` continues below the last number shown, so a
 * page never repeats or skips one because an incident was declared meanwhile.
 */
export async function listIncidents(db: Db, query: z.output<typeof ListIncidentsQuery>, lang: string): Promise<z.input<typeof IncidentList>> {
  const limit = query.limit ?? DEFAULT_PAGE;
  const conditions: SQL[] = [];
  if (query.status) conditions.push(inArray(t.incident.status, query.status.split(',')));
  if (query.open === 'true') conditions.push(inArray(t.incident.status, [...OPEN_STATUSES]));
  if (query.open === 'false') conditions.push(inArray(t.incident.status, ['resolved', 'closed']));
  if (query.before !== undefined) conditions.push(lt(t.incident.number, query.before));
  const rows = await db
    .select()
    .from(t.incident)
    .where(conditions.length ? and(...conditions) : undefined)
    .orderBy(desc(t.incident.number))
    .limit(limit + 1);
  const page = rows.slice(0, limit);
  const components = page.length
    ? await db
        .select({ incidentId: t.incidentComponent.incidentId, id: t.component.id, name: t.component.name, names: t.component.names, impact: t.incidentComponent.impact, since: t.incidentComponent.since })
        .from(t.incidentComponent)
        .innerJoin(t.component, eq(t.component.id, t.incidentComponent.componentId))
        .where(inArray(t.incidentComponent.incidentId, page.map((r) => r.id)))
    : [];
  const incidents = page.map((row) =>
    summaryJson(
      { number: row.number, title: row.title, severity: row.severity as Severity, status: row.status as Status, visibility: row.visibility as Visibility, createdAt: row.createdAt, updatedAt: row.updatedAt },
      components.filter((c) => c.incidentId === row.id).map((c) => ({ ...c, impact: c.impact as Impact })),
      lang,
    ),
  );
  const last = page.at(-1);
  let next: string | null = null;
  if (rows.length > limit && last) {
    const params = new URLSearchParams({ ...(query.status ? { status: query.status } : {}), ...(query.open ? { open: query.open } : {}), limit: String(limit), before: String(last.number) });
    next = `${API_BASE}/incidents?${params}`;
  }
  return { incidents, next };
}

type SummaryInput = Pick<IncidentSnapshot, 'number' | 'title' | 'severity' | 'status' | 'visibility' | 'createdAt' | 'updatedAt'>;

function summaryJson(incident: SummaryInput, components: IncidentSnapshot['components'], lang: string): z.input<typeof IncidentSummary> {
  return {
    number: incident.number,
    ref: formatIncidentRef(incident.number),
    title: incident.title,
    severity: incident.severity,
    status: incident.status,
    visibility: incident.visibility,
    createdAt: incident.createdAt.toISOString(),
    updatedAt: incident.updatedAt.toISOString(),
    components: components.map((c) => ({ id: c.id, name: componentName(c, lang), impact: c.impact, since: c.since.toISOString() })),
    url: incidentPath(incident.number),
  };
}

/** A public update as the API shows it. */
export function publicUpdateJson(update: PublicUpdateView): z.input<typeof PublicUpdateJson> {
  return {
    id: update.id,
    status: update.status,
    state: update.state,
    body: update.body,
    sourceLang: update.sourceLang,
    createdAt: update.createdAt.toISOString(),
    publishedAt: update.publishedAt?.toISOString() ?? null,
    translations: update.translations.map((tr) => ({ lang: tr.lang, body: tr.body, origin: tr.origin })),
  };
}

/** The whole incident as the API shows it: what `summary` and `timeline` say in chat, as data. */
export function incidentJson(incident: IncidentSnapshot, lang: string): z.input<typeof Incident> {
  return {
    ...summaryJson(incident, incident.components, lang),
    summary: incident.summary,
    declaredBy: incident.declaredBy,
    moments: Object.fromEntries(Object.entries(incident.moments).map(([k, v]) => [k, v.toISOString()])),
    roles: incident.roles,
    actions: incident.actions.map((a) => ({ id: a.id, text: a.text, ownerName: a.ownerName, done: a.done })),
    publicUpdates: incident.publicUpdates.map(publicUpdateJson),
    timeline: incident.entries.map((e) => ({
      kind: e.kind,
      occurredAt: e.occurredAt.toISOString(),
      recordedAt: e.recordedAt.toISOString(),
      authorName: e.authorName,
      text: e.text,
      data: e.data,
    })),
  };
}
