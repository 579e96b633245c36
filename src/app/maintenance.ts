import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import { z } from 'zod';
import { DomainError } from '../core/errors.ts';
import { storable } from '../core/model.ts';
import {
  assertMaintenanceTransition,
  assertWindow,
  dueStatus,
  formatMaintenanceRef,
  type MaintenanceCommand,
  type MaintenanceNoticeKind,
  type MaintenanceStatus,
  noticeFor,
} from '../core/maintenance.ts';
import { rowsOf, type Tx } from '../db/client.ts';
import * as t from '../db/schema.ts';
import { defineJob, enqueueJob } from '../outbox/job-runner.ts';
import { cancelJob } from '../outbox/jobs.ts';
import { type CommandMeta, type CommandResult, runWrite } from './command-runner.ts';
import { ensureComponents } from './components.ts';
import type { AppContext } from './context.ts';

/**
 * The durable timer of a maintenance: one job per window edge (`start`, `end`, `remind`),
 * rescheduled in place when the window moves. Its run re-reads the row and does only what
 * the clock says is due, so a late, repeated or concurrent run changes nothing twice.
 */
export const MAINTENANCE_JOB = defineJob({
  name: 'maintenance.transition',
  version: 1,
  payload: z.object({ maintenanceId: z.uuid(), edge: z.enum(['remind', 'start', 'end']) }),
});

export const maintenanceJobKey = (id: string, edge: 'remind' | 'start' | 'end') => `maintenance:${id}:${edge}`;

/** A maintenance as use cases and chat replies read it. */
export type MaintenanceRow = typeof t.maintenance.$inferSelect;

type Schedule = Extract<MaintenanceCommand, { action: 'schedule' }>;
type Update = Extract<MaintenanceCommand, { action: 'update' }>;

export interface MaintenanceOutcome {
  [key: string]: unknown;
  maintenanceId: string;
  number: number;
  title: string;
  status: MaintenanceStatus;
  scheduledFor: string;
  scheduledUntil: string;
  components: string[];
}

const outcomeOf = (m: MaintenanceRow): MaintenanceOutcome => ({
  maintenanceId: m.id,
  number: m.number,
  title: m.title,
  status: m.status as MaintenanceStatus,
  scheduledFor: m.scheduledFor.toISOString(),
  scheduledUntil: m.scheduledUntil.toISOString(),
  components: m.components,
});

const reminderMinutes = (ctx: AppContext) => ctx.settings.maintenanceReminderMinutes ?? 60;

/** `maintenance <title> --start … --end …`: records the window, tells subscribers, arms its timers. */
export async function scheduleMaintenance(ctx: AppContext, meta: CommandMeta, input: Omit<Schedule, 'verb' | 'action'>): Promise<CommandResult<MaintenanceOutcome>> {
  assertWindow(input.start, input.end);
  return runWrite(ctx, meta, 'maintenance', undefined, async (tx, now) => {
    await ensureComponents(tx, ctx, input.components, now);
    const [row] = rowsOf<{ number: number }>(await tx.execute(sql`select nextval('maintenance_number_seq')::int as number`));
    const [m] = await tx
      .insert(t.maintenance)
      .values(
        storable({
          id: ctx.newId(),
          number: row!.number,
          title: input.title,
          description: input.description ?? null,
          status: 'scheduled',
          visibility: input.visibility,
          components: input.components,
          scheduledFor: input.start,
          scheduledUntil: input.end,
          sourceLang: meta.actor.lang,
          createdBy: meta.actor.id,
          createdByName: meta.actor.name,
          createdAt: now,
          updatedAt: now,
        }),
      )
      .returning();
    await recordNotice(tx, ctx, m!, 'scheduled', now, input.description ?? null);
    // A window that has already begun moves at once: its start job is due now.
    await armTimers(tx, ctx, m!, now);
    return outcomeOf(m!);
  });
}

/** `maintenance MNT-n --start … --end … --title … --components … --description …`: moves or edits a window not yet finished. */
export async function updateMaintenance(ctx: AppContext, meta: CommandMeta, input: Omit<Update, 'verb' | 'action'>): Promise<CommandResult<MaintenanceOutcome>> {
  return runWrite(ctx, meta, 'maintenance', undefined, async (tx, now) => {
    const m = await lockMaintenance(tx, input.number, meta);
    if (m.status === 'completed' || m.status === 'cancelled') throw new DomainError('maintenance_finished', { ref: formatMaintenanceRef(m.number), status: m.status });
    const scheduledFor = input.start ?? m.scheduledFor;
    const scheduledUntil = input.end ?? m.scheduledUntil;
    assertWindow(scheduledFor, scheduledUntil);
    if (input.components) await ensureComponents(tx, ctx, input.components, now);
    const moved = scheduledFor.getTime() !== m.scheduledFor.getTime();
    const [updated] = await tx
      .update(t.maintenance)
      .set(
        storable({
          ...(input.title !== undefined && { title: input.title }),
          ...(input.description !== undefined && { description: input.description }),
          ...(input.components && { components: input.components }),
          scheduledFor,
          scheduledUntil,
          // A moved start earns a new reminder.
          ...(moved && { remindedAt: null }),
          updatedAt: now,
        }),
      )
      .where(eq(t.maintenance.id, m.id))
      .returning();
    await recordNotice(tx, ctx, updated!, 'updated', now, input.description ?? null);
    await armTimers(tx, ctx, updated!, now);
    return outcomeOf(updated!);
  });
}

/** `maintenance MNT-n cancel`: takes a window that has not completed off every public surface. */
export async function cancelMaintenance(ctx: AppContext, meta: CommandMeta, number: number): Promise<CommandResult<MaintenanceOutcome>> {
  return runWrite(ctx, meta, 'maintenance', undefined, async (tx, now) => {
    const m = await lockMaintenance(tx, number, meta);
    assertMaintenanceTransition(m.status as MaintenanceStatus, 'cancelled');
    return outcomeOf(await moveTo(tx, ctx, m, 'cancelled', now));
  });
}

/** `maintenance MNT-n status in_progress|verifying|completed`: a responder moves it ahead of the clock. */
export async function setMaintenanceStatus(ctx: AppContext, meta: CommandMeta, number: number, status: MaintenanceStatus): Promise<CommandResult<MaintenanceOutcome>> {
  return runWrite(ctx, meta, 'maintenance', undefined, async (tx, now) => {
    const m = await lockMaintenance(tx, number, meta);
    assertMaintenanceTransition(m.status as MaintenanceStatus, status);
    return outcomeOf(await moveTo(tx, ctx, m, status, now));
  });
}

/** Windows not yet finished, soonest first; private ones only for the person who scheduled them. */
export async function listMaintenances(ctx: AppContext, meta: CommandMeta): Promise<MaintenanceRow[]> {
  const rows = await ctx.db
    .select()
    .from(t.maintenance)
    .where(inArray(t.maintenance.status, ['scheduled', 'in_progress', 'verifying']))
    .orderBy(asc(t.maintenance.scheduledFor), asc(t.maintenance.number));
  return rows.filter((m) => m.visibility === 'public' || m.createdBy === meta.actor.id);
}

/**
 * The job: does what the clock says is due for one maintenance, in one transaction with the
 * row locked, so two processes running the same edge (or a rerun after a crash) record it once.
 */
export async function runMaintenanceJob(ctx: AppContext, payload: { maintenanceId: string; edge: 'remind' | 'start' | 'end' }): Promise<void> {
  await ctx.db.transaction(async (tx) => {
    const now = ctx.clock.now();
    const [m] = await tx.select().from(t.maintenance).where(eq(t.maintenance.id, payload.maintenanceId)).for('update');
    if (!m) return;
    const status = m.status as MaintenanceStatus;
    if (payload.edge === 'remind') {
      const due = m.scheduledFor.getTime() - reminderMinutes(ctx) * 60_000;
      // Never after the start: a reminder that arrives late (the process was down) would say something already past.
      if (status !== 'scheduled' || m.remindedAt || now.getTime() < due || now.getTime() >= m.scheduledFor.getTime()) return;
      await tx.update(t.maintenance).set({ remindedAt: now, updatedAt: now }).where(eq(t.maintenance.id, m.id));
      await recordNotice(tx, ctx, m, 'reminder', now, null);
      return;
    }
    const next = dueStatus({ status, scheduledFor: m.scheduledFor, scheduledUntil: m.scheduledUntil }, now);
    if (next === status) return;
    // A window whose whole span passed while nobody ran (a long outage) still starts before it completes.
    if (status === 'scheduled' && next === 'completed') m.status = (await moveTo(tx, ctx, m, 'in_progress', m.scheduledFor)).status;
    await moveTo(tx, ctx, m, next, now);
  });
}

async function moveTo(tx: Tx, ctx: AppContext, m: MaintenanceRow, status: MaintenanceStatus, now: Date): Promise<MaintenanceRow> {
  const [updated] = await tx
    .update(t.maintenance)
    .set({
      status,
      updatedAt: now,
      ...(status === 'in_progress' && { startedAt: now }),
      ...((status === 'completed' || status === 'cancelled') && { completedAt: now }),
    })
    .where(eq(t.maintenance.id, m.id))
    .returning();
  await recordNotice(tx, ctx, updated!, noticeFor(status), now, null);
  await armTimers(tx, ctx, updated!, now);
  return updated!;
}

/** Arms the remind/start/end jobs a maintenance still has ahead of it, and disarms the rest. */
async function armTimers(tx: Tx, ctx: AppContext, m: MaintenanceRow, now: Date): Promise<void> {
  const status = m.status as MaintenanceStatus;
  const remindAt = new Date(m.scheduledFor.getTime() - reminderMinutes(ctx) * 60_000);
  const edges: { edge: 'remind' | 'start' | 'end'; at: Date | undefined }[] = [
    // No reminder for a window scheduled inside its own reminder lead: the scheduling notice says it all.
    { edge: 'remind', at: status === 'scheduled' && !m.remindedAt && remindAt > now ? remindAt : undefined },
    { edge: 'start', at: status === 'scheduled' ? m.scheduledFor : undefined },
    { edge: 'end', at: status === 'scheduled' || status === 'in_progress' || status === 'verifying' ? m.scheduledUntil : undefined },
  ];
  for (const { edge, at } of edges) {
    const key = maintenanceJobKey(m.id, edge);
    if (at) await enqueueJob(tx, MAINTENANCE_JOB, { maintenanceId: m.id, edge }, { key, runAt: at < now ? now : at });
    else await cancelJob(tx, key);
  }
}

/** One public notice; the status page re-renders at commit and subscribers are told (public windows only). */
async function recordNotice(tx: Tx, ctx: AppContext, m: MaintenanceRow, kind: MaintenanceNoticeKind, now: Date, note: string | null): Promise<void> {
  const id = ctx.newId();
  await tx.insert(t.maintenanceUpdate).values(
    storable({ id, maintenanceId: m.id, kind, status: m.status, scheduledFor: m.scheduledFor, scheduledUntil: m.scheduledUntil, note, createdAt: now }),
  );
  if (m.visibility !== 'public') return;
  await enqueueJob(tx, MAINTENANCE_NOTICE_JOB, { noticeId: id }, { key: `${MAINTENANCE_NOTICE_KEY_PREFIX}${id}`, runAt: now });
  await tx.execute(sql`select pg_notify('tsuiki_status', ${id})`);
}

/** The fan-out job's key is this and the notice's id. */
export const MAINTENANCE_NOTICE_KEY_PREFIX = 'maintenance-notice:';

/** Fans one maintenance notice out to subscribers and Statuspage; handled where the publishing targets live (src/publish/maintenance-notices.ts). */
export const MAINTENANCE_NOTICE_JOB = defineJob({ name: 'maintenance.notice', version: 1, payload: z.object({ noticeId: z.uuid() }) });

async function lockMaintenance(tx: Tx, number: number, meta: CommandMeta): Promise<MaintenanceRow> {
  const [m] = await tx.select().from(t.maintenance).where(eq(t.maintenance.number, number)).for('update');
  // A private window is not found by anyone but its author, so its existence does not leak.
  if (!m || (m.visibility === 'private' && m.createdBy !== meta.actor.id)) {
    throw new DomainError('maintenance_not_found', { ref: formatMaintenanceRef(number) });
  }
  return m;
}

/** Reads one maintenance by id (jobs, tests). */
export async function loadMaintenance(ctx: Pick<AppContext, 'db'>, id: string): Promise<MaintenanceRow | undefined> {
  const [m] = await ctx.db.select().from(t.maintenance).where(and(eq(t.maintenance.id, id)));
  return m;
}
