import { and, eq, inArray } from 'drizzle-orm';
import type { AppContext } from '../app/context.ts';
import type { NeutralMessage } from '../chat/message.ts';
import type { ChatPlatform } from '../chat/platform.ts';
import type { IncidentSnapshot } from '../core/incident.ts';
import { formatIncidentRef, OPEN_STATUSES } from '../core/model.ts';
import type { Executor } from '../db/client.ts';
import { findIncidentChatRef, loadSnapshot } from '../db/incident-repository.ts';
import * as t from '../db/schema.ts';
import type { I18n } from '../i18n.ts';
import type { Logger } from '../logger.ts';
import { z } from 'zod';
import { defineJob, enqueueJob } from '../outbox/job-runner.ts';
import { cancelJob } from '../outbox/jobs.ts';
import { type DueReminder, nextReminder, type ReminderState } from './reminders.ts';

/** The durable timer of an incident's next reminder. */
export const REMINDER_JOB = defineJob({ name: 'incident.reminder', version: 1, payload: z.object({ incidentId: z.uuid() }) });

/** One job per incident, rescheduled in place: the durable timer of its next reminder. */
export const reminderJobKey = (incidentId: string) => `reminder:${incidentId}`;

export async function readReminderState(db: Executor, incidentId: string): Promise<ReminderState> {
  const [row] = await db.select().from(t.incidentReminder).where(eq(t.incidentReminder.incidentId, incidentId));
  return { lastNudgeAt: row?.lastNudgeAt ?? null, snoozedUntil: row?.snoozedUntil ?? null };
}

/** Arms (or disarms) the incident's reminder job for its next reminder; in the caller's transaction. */
export async function armReminder(tx: Executor, incident: IncidentSnapshot, state: ReminderState, defaults: { updateReminderMinutes: number }): Promise<DueReminder | undefined> {
  const due = nextReminder(incident, state, defaults);
  if (due) await enqueueJob(tx, REMINDER_JOB, { incidentId: incident.id }, { key: reminderJobKey(incident.id), runAt: due.at });
  else await cancelJob(tx, reminderJobKey(incident.id));
  return due;
}

/** The reminder as posted in the incident channel, in the team's language and zone. */
export function renderReminder(i18n: I18n, lang: string, zone: string, incident: IncidentSnapshot, due: DueReminder, now: Date): NeutralMessage {
  const tr = i18n.t(lang);
  const vars = {
    ref: formatIncidentRef(incident.number),
    time: i18n.formatDateTime(due.since, lang, zone),
    duration: i18n.formatDuration(now.getTime() - due.since.getTime(), lang),
  };
  const key = due.kind === 'first_public' ? 'manager:reminder.firstPublic' : due.kind === 'cadence' ? 'manager:reminder.cadence' : 'manager:reminder.internal';
  const lines = [tr(key, vars), tr('manager:reminder.snoozeHint')];
  return { text: lines[0]!, lines };
}

export interface ReminderDeps {
  app: AppContext;
  i18n: I18n;
  logger: Logger;
  platform?: ChatPlatform | undefined;
  /** Every platform to remind on, asked at each reminder (the runtime's registry); instead of `platform`. */
  platforms?: (() => readonly ChatPlatform[]) | undefined;
}

/**
 * The job handler: recomputes what the incident is owed now (a public update may have gone
 * out since the job was armed), posts the reminder when it is due, and re-arms the job for
 * the next one. At least once: a crash between posting and recording may repeat one nudge.
 */
export function createReminderHandler(deps: ReminderDeps) {
  const { app } = deps;
  const defaults = { updateReminderMinutes: app.settings.updateReminderMinutes };
  return async ({ incidentId }: { incidentId: string }): Promise<void> => {
    const incident = await loadSnapshot(app.db, incidentId);
    if (!incident) return;
    const state = await readReminderState(app.db, incidentId);
    const due = nextReminder(incident, state, defaults);
    const now = app.clock.now();
    if (!due) return;
    if (due.at > now) {
      await enqueueJob(app.db, REMINDER_JOB, { incidentId }, { key: reminderJobKey(incidentId), runAt: due.at });
      return;
    }
    await postReminder(deps, incident, due, now);
    await app.db.transaction(async (tx) => {
      await tx
        .insert(t.incidentReminder)
        .values({ incidentId, lastNudgeAt: now, updatedAt: now })
        .onConflictDoUpdate({ target: t.incidentReminder.incidentId, set: { lastNudgeAt: now, updatedAt: now } });
      await armReminder(tx, incident, { ...state, lastNudgeAt: now }, defaults);
    });
  };
}

async function postReminder(deps: ReminderDeps, incident: IncidentSnapshot, due: DueReminder, now: Date): Promise<void> {
  const { app, platform, logger } = deps;
  const lang = app.settings.locales[0]!;
  const message = renderReminder(deps.i18n, lang, app.settings.teamTimeZone, incident, due, now);
  let posted = false;
  const failures: unknown[] = [];
  for (const p of deps.platforms?.() ?? (platform ? [platform] : [])) {
    const chatRef = await findIncidentChatRef(app.db, incident.id, p.platform);
    if (!chatRef) continue;
    posted = true;
    await p.post(chatRef.channelId, message).catch((e: unknown) => void failures.push(e));
  }
  // A chat failure throws: the job is retried with backoff rather than the nudge silently lost.
  if (failures.length > 0) throw failures[0];
  if (!posted) logger.info({ incidentId: incident.id, kind: due.kind }, `reminder (no incident channel): ${message.text}`);
}

/**
 * Makes sure every open incident has its reminder job armed at the right time. The use cases
 * (declare, publish, remind) do not know about reminders, so this scan — cheap, and safe to
 * run in every process — notices their effects; the handler re-checks before posting.
 */
export async function reconcileReminders(app: AppContext): Promise<number> {
  const defaults = { updateReminderMinutes: app.settings.updateReminderMinutes };
  const open = await app.db.select({ id: t.incident.id }).from(t.incident).where(inArray(t.incident.status, [...OPEN_STATUSES]));
  let armed = 0;
  for (const { id } of open) {
    const incident = await loadSnapshot(app.db, id);
    if (!incident) continue;
    const state = await readReminderState(app.db, id);
    const due = nextReminder(incident, state, defaults);
    const [job] = await app.db
      .select({ runAt: t.scheduledJob.runAt, state: t.scheduledJob.state })
      .from(t.scheduledJob)
      .where(and(eq(t.scheduledJob.key, reminderJobKey(id)), eq(t.scheduledJob.kind, REMINDER_JOB.name)));
    const current = job?.state === 'pending' ? job.runAt.getTime() : undefined;
    if (due?.at.getTime() === current) continue;
    if (!due && current === undefined) continue;
    await armReminder(app.db, incident, state, defaults);
    armed++;
  }
  return armed;
}
