import { and, eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Clock } from '../core/clock.ts';
import type { MaintenanceStatus } from '../core/maintenance.ts';
import { MAINTENANCE_NOTICE_KEY_PREFIX } from '../app/maintenance.ts';
import { type Db, type Executor, rowsOf } from '../db/client.ts';
import * as t from '../db/schema.ts';
import type { I18n } from '../i18n.ts';
import { defineJob, enqueueJob } from '../outbox/job-runner.ts';
import { TerminalJobError } from '../outbox/jobs.ts';
import { loadPublicMaintenance, type PublicMaintenance, type PublicMaintenanceNotice, renderMaintenanceNotice } from '../status-page/maintenance.ts';
import { RetryableDeliveryError, TerminalDeliveryError } from './channel.ts';
import { CLOCK_SKEW_MS, isIncidentCreatedBy, type StatuspageChannel } from './statuspage.ts';

/**
 * One maintenance notice to Atlassian Statuspage, keyed by the notice: the first creates the
 * scheduled incident there, later ones update it. Notices of one maintenance go in order: a
 * job waits while an earlier notice's job of the same maintenance is still pending.
 */
export const MAINTENANCE_STATUSPAGE_JOB = defineJob({
  name: 'maintenance.statuspage',
  version: 1,
  payload: z.object({ noticeId: z.uuid(), maintenanceId: z.uuid(), seq: z.number().int() }),
});

const TARGET = 'statuspage';

/** The job's key: one per notice, never re-armed once queued. */
export const statuspageNoticeKey = (noticeId: string) => `maintenance.statuspage:${noticeId}`;

/** Queues the Statuspage job of a notice unless it is queued already (a rerun of the fan-out). */
export async function enqueueStatuspageNotice(tx: Executor, notice: { id: string; maintenanceId: string; seq: number; kind: string }, now: Date): Promise<void> {
  // Statuspage reminds its own subscribers (`scheduled_remind_prior`): our reminder would be a second one.
  if (notice.kind === 'reminder') return;
  const key = statuspageNoticeKey(notice.id);
  const [queued] = await tx.select({ key: t.scheduledJob.key }).from(t.scheduledJob).where(eq(t.scheduledJob.key, key));
  if (queued) return;
  await enqueueJob(tx, MAINTENANCE_STATUSPAGE_JOB, { noticeId: notice.id, maintenanceId: notice.maintenanceId, seq: notice.seq }, { key, runAt: now });
}

export interface MaintenanceStatuspageDeps {
  db: Db;
  clock: Clock;
  i18n: I18n;
  statuspage: Pick<StatuspageChannel, 'call'>;
  /** The language Statuspage's text is written in (the first of LOCALES), and its zone. */
  lang: string;
  timeZone: string;
  /** Statuspage component ids by our component id (COMPONENTS_FILE `statuspage_id`). */
  statuspageIds?: (componentIds: string[]) => Promise<string[]>;
}

/** Statuspage's status for a notice: it has no `cancelled`, so a cancelled window is completed there. */
const statusOf = (status: MaintenanceStatus) => (status === 'cancelled' ? 'completed' : status);

/** The `incident` object of a create or update request for one notice of a maintenance. */
export function statuspageMaintenance(
  m: Pick<PublicMaintenance, 'title'>,
  notice: Pick<PublicMaintenanceNotice, 'kind' | 'status' | 'scheduledFor' | 'scheduledUntil' | 'note'>,
  componentIds: string[],
  text: { i18n: I18n; lang: string; timeZone: string },
  create: boolean,
) {
  const status = statusOf(notice.status);
  // Components read under maintenance while it runs, and operational again once it is over.
  const componentStatus = status === 'in_progress' ? 'under_maintenance' : status === 'completed' || status === 'verifying' ? 'operational' : undefined;
  return {
    ...(create ? { name: m.title.slice(0, 255), impact_override: 'maintenance' as const } : {}),
    status,
    body: renderMaintenanceNotice(text.i18n, text.lang, text.timeZone, m, notice).slice(0, 25_000),
    scheduled_for: notice.scheduledFor.toISOString(),
    scheduled_until: notice.scheduledUntil.toISOString(),
    // tsuiki moves the window itself (and says so in an update); Statuspage moving it too would say it twice.
    scheduled_remind_prior: true,
    scheduled_auto_in_progress: false,
    scheduled_auto_completed: false,
    ...(componentIds.length ? { component_ids: componentIds, ...(componentStatus ? { components: Object.fromEntries(componentIds.map((id) => [id, componentStatus])) } : {}) } : {}),
    deliver_notifications: true,
  };
}

/** Our components' Statuspage ids, in the maintenance's order; components without one are left out. */
export async function statuspageIdsOf(db: Db, componentIds: string[]): Promise<string[]> {
  if (componentIds.length === 0) return [];
  const rows = await db.select({ id: t.component.id, statuspageId: t.component.statuspageId }).from(t.component);
  return componentIds.flatMap((id) => rows.find((r) => r.id === id)?.statuspageId ?? []);
}

/**
 * The job: creates the scheduled incident on the first notice (or adopts the one an earlier
 * attempt created when its answer was lost), PATCHes it on every later one.
 */
export function createStatuspageNoticeHandler(deps: MaintenanceStatuspageDeps) {
  const x = t.maintenanceExternal;
  const idsOf = deps.statuspageIds ?? ((ids: string[]) => statuspageIdsOf(deps.db, ids));
  return async (payload: { noticeId: string; maintenanceId: string; seq: number }, job: { attempt: number }): Promise<void> => {
    // An earlier notice has not reached Statuspage yet (its job is pending, or its fan-out has not queued it): this one comes after it.
    const [earlier] = rowsOf<{ id: string }>(
      await deps.db.execute(sql`select n.id from maintenance_update n
        left join scheduled_job s on s.key = ${statuspageNoticeKey('')} || n.id::text
        left join scheduled_job f on f.key = ${MAINTENANCE_NOTICE_KEY_PREFIX} || n.id::text
        where n.maintenance_id = ${payload.maintenanceId} and n.seq < ${payload.seq} and n.kind <> 'reminder'
          and (s.state = 'pending' or (s.id is null and f.state = 'pending'))
        limit 1`),
    );
    if (earlier) throw new RetryableDeliveryError(`waiting for the notice ${earlier.id} to reach Statuspage first`, 1_000);
    const loaded = await loadPublicMaintenance(deps.db, payload.maintenanceId);
    const notice = loaded?.maintenance.notices.find((n) => n.id === payload.noticeId);
    if (!loaded || !notice) return;
    const m = loaded.maintenance;
    const componentIds = await idsOf(m.components);
    try {
      const [known] = await deps.db
        .select({ externalId: x.externalId })
        .from(x)
        .where(and(eq(x.maintenanceId, m.id), eq(x.target, TARGET)));
      if (known) {
        const incident = statuspageMaintenance(m, notice, componentIds, deps, false);
        await deps.statuspage.call('PATCH', `/${encodeURIComponent(known.externalId)}`, { incident });
        return;
      }
      const incident = statuspageMaintenance(m, notice, componentIds, deps, true);
      const sent = { name: incident.name!, status: incident.status, body: incident.body };
      // A retry may follow a create Statuspage carried out but whose answer was lost: adopt it.
      const externalId = (job.attempt > 1 ? await findCreated(sent, notice.createdAt) : undefined) ?? (await create(incident));
      await deps.db.insert(x).values({ maintenanceId: m.id, target: TARGET, externalId, createdAt: deps.clock.now() }).onConflictDoNothing();
    } catch (e) {
      if (e instanceof TerminalDeliveryError) throw new TerminalJobError(e.message, { cause: e });
      throw e;
    }
  };

  async function create(incident: ReturnType<typeof statuspageMaintenance>): Promise<string> {
    const answer = await deps.statuspage.call('POST', '', { incident });
    const created = (await answer.json().catch(() => ({}))) as { id?: unknown };
    if (typeof created.id !== 'string') throw new TerminalDeliveryError('Statuspage answered without an incident id');
    return created.id;
  }

  async function findCreated(sent: { name: string; status: string; body: string }, noticeAt: Date): Promise<string | undefined> {
    const answer = await deps.statuspage.call('GET', `?${new URLSearchParams({ q: sent.name, limit: '100' })}`);
    const listed = await answer.json().catch(() => undefined);
    if (!Array.isArray(listed)) throw new TerminalDeliveryError('Statuspage answered the incident search without a list');
    const notBefore = new Date(noticeAt.getTime() - CLOCK_SKEW_MS);
    const matches = (listed as { id: string }[]).filter((l) => isIncidentCreatedBy(l, sent, notBefore)).map((l) => l.id);
    if (matches.length === 0) return undefined;
    // Not one another maintenance (or incident) of ours already owns.
    const owned = new Set([
      ...(await deps.db.select({ id: t.maintenanceExternal.externalId }).from(t.maintenanceExternal).where(eq(t.maintenanceExternal.target, TARGET))).map((r) => r.id),
      ...(await deps.db.select({ id: t.externalIncident.externalId }).from(t.externalIncident).where(eq(t.externalIncident.target, TARGET))).map((r) => r.id),
    ]);
    return matches.find((id) => !owned.has(id));
  }
}
