import { type CommandMeta, type CommandResult, loadForActor, runWrite } from '../app/command-runner.ts';
import type { AppContext } from '../app/context.ts';
import { addResponder } from '../app/writes.ts';
import { DomainError } from '../core/errors.ts';
import { loadSnapshot } from '../db/incident-repository.ts';
import * as t from '../db/schema.ts';
import { armReminder, readReminderState } from './reminder-jobs.ts';

export interface RemindersSnoozed {
  [key: string]: unknown;
  incidentId: string;
  number: number;
  until: string;
}

/**
 * `snooze <minutes>`: no reminder in this incident's channel before now + minutes. The
 * reminder job is re-armed in the same transaction, so the snooze holds across restarts.
 */
export async function snoozeReminders(ctx: AppContext, meta: CommandMeta, incidentId: string, input: { minutes: number }): Promise<CommandResult<RemindersSnoozed>> {
  if (!Number.isInteger(input.minutes) || input.minutes < 1 || input.minutes > 1440) {
    throw new DomainError('bad_minutes', { value: String(input.minutes) }, 'snooze');
  }
  return runWrite(ctx, meta, 'snooze', incidentId, async (tx, now) => {
    const incident = await loadForActor(tx, incidentId, meta, { write: true, requireResponder: true });
    const until = new Date(now.getTime() + input.minutes * 60_000);
    await tx
      .insert(t.incidentReminder)
      .values({ incidentId, snoozedUntil: until, updatedAt: now })
      .onConflictDoUpdate({ target: t.incidentReminder.incidentId, set: { snoozedUntil: until, updatedAt: now } });
    await addResponder(tx, incidentId, meta.actor, now);
    const state = await readReminderState(tx, incidentId);
    await armReminder(tx, (await loadSnapshot(tx, incidentId)) ?? incident, state, { updateReminderMinutes: ctx.settings.updateReminderMinutes });
    return { incidentId, number: incident.number, until: until.toISOString() };
  });
}
