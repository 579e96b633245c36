import { and, asc, eq, inArray, isNotNull, sql } from 'drizzle-orm';
import type { Impact, Status } from '../core/model.ts';
import { type Executor, rowsOf } from '../db/client.ts';
import * as t from '../db/schema.ts';
import { loadMaintenances, type PublicMaintenance } from './maintenance.ts';

/** A component as customers see it. */
export interface PublicComponent {
  id: string;
  name: string;
  names: Record<string, string>;
  position: number;
  createdAt: Date;
}

/** One published public update with its text in every language it has. */
export interface PublicUpdate {
  id: string;
  status: Status;
  sourceLang: string;
  body: string;
  /** lang → body; the source language is always present. */
  bodies: Record<string, string>;
  publishedAt: Date;
  /** Last time any of its texts changed. */
  updatedAt: Date;
}

/** An incident that reached the status page: public, with at least one published update. */
export interface PublicIncident {
  id: string;
  number: number;
  title: string;
  severity: string;
  /** The incident's own (derived) status; the page shows `publicStatus`. */
  status: Status;
  /** What the page says: the latest published update's status, or `resolved` once the incident is. */
  publicStatus: 'investigating' | 'identified' | 'monitoring' | 'resolved';
  createdAt: Date;
  startedAt: Date;
  /** When the page said so: the resolving update's publication, so `resolved_at` matches that update. */
  resolvedAt: Date | null;
  /** When the impact ended: the `resolved` key moment (may be set earlier than the update), else `resolvedAt`; uptime counts to it. */
  impactEndedAt?: Date | null;
  monitoringAt: Date | null;
  updatedAt: Date;
  /** Newest first. */
  updates: PublicUpdate[];
  components: { id: string; impact: Impact; since: Date }[];
}

/** Everything the status page shows, read in one go; the input of every renderer. */
export interface StatusData {
  components: PublicComponent[];
  /** Newest first. */
  incidents: PublicIncident[];
  /** Public maintenances not cancelled, latest window first (absent: none). */
  maintenances?: PublicMaintenance[];
  /** When anything shown last changed; `Last-Modified`. */
  updatedAt: Date;
  /** When the data was read; history bars end here. */
  readAt: Date;
}

/** The page keeps 90 days of history; older resolved incidents are not loaded. */
export const HISTORY_DAYS = 90;

const RESOLVED: readonly Status[] = ['resolved', 'closed'];

/**
 * Reads what the status page may show. Private incidents and unpublished (draft,
 * cancelled) updates are never read, so no renderer can leak them.
 */
export async function loadStatusData(db: Executor, now: Date): Promise<StatusData> {
  const horizon = new Date(now.getTime() - (HISTORY_DAYS + 1) * 86_400_000);
  const [components, maintenances] = await Promise.all([
    db.select().from(t.component).orderBy(asc(t.component.position), asc(t.component.id)),
    loadMaintenances(db, now),
  ]);
  // Open incidents whatever their age, plus everything resolved within the history horizon.
  const incidents = await db
    .select()
    .from(t.incident)
    .where(
      and(
        eq(t.incident.visibility, 'public'),
        sql`(${t.incident.status} not in ('resolved', 'closed') or ${t.incident.updatedAt} >= ${horizon.toISOString()})`,
      ),
    );
  const ids = incidents.map((i) => i.id);
  const [updates, translations, affected, moments] = ids.length
    ? await Promise.all([
        db
          .select()
          .from(t.publicUpdate)
          .where(and(inArray(t.publicUpdate.incidentId, ids), eq(t.publicUpdate.state, 'published'), isNotNull(t.publicUpdate.publishedAt))),
        db
          .select({ updateId: t.publicUpdateTranslation.updateId, lang: t.publicUpdateTranslation.lang, body: t.publicUpdateTranslation.body, updatedAt: t.publicUpdateTranslation.updatedAt })
          .from(t.publicUpdateTranslation)
          .innerJoin(t.publicUpdate, eq(t.publicUpdate.id, t.publicUpdateTranslation.updateId))
          .where(and(inArray(t.publicUpdate.incidentId, ids), eq(t.publicUpdate.state, 'published'))),
        db.select().from(t.incidentComponent).where(inArray(t.incidentComponent.incidentId, ids)),
        db.select().from(t.keyMoment).where(inArray(t.keyMoment.incidentId, ids)),
      ])
    : [[], [], [], []];

  const result: PublicIncident[] = [];
  for (const row of incidents) {
    const own = updates
      .filter((u) => u.incidentId === row.id)
      .map((u): PublicUpdate => {
        const texts = translations.filter((tr) => tr.updateId === u.id);
        const bodies: Record<string, string> = { [u.sourceLang]: u.body };
        let updatedAt = u.publishedAt!;
        for (const tr of texts) {
          bodies[tr.lang] = tr.body;
          if (tr.updatedAt > updatedAt) updatedAt = tr.updatedAt;
        }
        return { id: u.id, status: u.status as Status, sourceLang: u.sourceLang, body: u.body, bodies, publishedAt: u.publishedAt!, updatedAt };
      })
      .sort((a, b) => b.publishedAt.getTime() - a.publishedAt.getTime() || b.id.localeCompare(a.id));
    // Not on the page until someone published something: a declared incident is internal until then.
    if (own.length === 0) continue;
    const momentOf = (kind: string) => moments.find((m) => m.incidentId === row.id && m.kind === kind)?.at ?? null;
    const status = row.status as Status;
    const resolving = own.find((u) => RESOLVED.includes(u.status));
    const resolvedAt = RESOLVED.includes(status) ? (resolving?.publishedAt ?? momentOf('resolved') ?? own[0]!.publishedAt) : null;
    const impactEndedAt = resolvedAt && (momentOf('resolved') ?? resolvedAt);
    const latest = own[0]!.status;
    const publicStatus = resolvedAt ? 'resolved' : latest === 'resolved' || latest === 'closed' ? 'monitoring' : latest;
    const monitoring = own.filter((u) => u.status === 'monitoring').at(-1);
    result.push({
      id: row.id,
      number: row.number,
      title: row.title,
      severity: row.severity,
      status,
      publicStatus,
      createdAt: row.createdAt,
      startedAt: momentOf('started') ?? row.createdAt,
      resolvedAt,
      impactEndedAt,
      monitoringAt: monitoring?.publishedAt ?? null,
      updatedAt: new Date(Math.max(...own.map((u) => u.updatedAt.getTime()), resolvedAt?.getTime() ?? 0)),
      updates: own,
      components: affected
        .filter((a) => a.incidentId === row.id)
        .map((a) => ({ id: a.componentId, impact: a.impact as Impact, since: a.since })),
    });
  }
  result.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || b.number - a.number);
  const times = [
    ...components.map((c) => c.createdAt.getTime()),
    ...result.map((i) => i.updatedAt.getTime()),
    ...maintenances.map((m) => m.updatedAt.getTime()),
    0,
  ];
  return {
    components: components.map((c) => ({ id: c.id, name: c.name, names: c.names, position: c.position, createdAt: c.createdAt })),
    incidents: result,
    maintenances,
    updatedAt: new Date(Math.max(...times)),
    readAt: now,
  };
}

/**
 * A cheap fingerprint of everything the page depends on; when it changes the cache is
 * stale. The fallback when notifications are unavailable.
 */
export async function statusFingerprint(db: Executor): Promise<string> {
  const result = await db.execute(sql`select
    (select max(updated_at) from incident)::text as i,
    (select max(updated_at) from public_update_translation)::text as t,
    (select count(*) from component)::text as c,
    (select max(published_at) from public_update)::text as p,
    (select max(seq) from maintenance_update)::text as m`);
  const [row] = rowsOf<Record<string, string | null>>(result);
  return JSON.stringify(row ?? {});
}
