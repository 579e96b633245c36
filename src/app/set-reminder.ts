import { eq } from 'drizzle-orm';
import { DomainError } from '../core/errors.ts';
import * as t from '../db/schema.ts';
import { type CommandMeta, type CommandResult, loadForActor, runWrite } from './command-runner.ts';
import type { AppContext } from './context.ts';
import { addResponder, appendEntry } from './writes.ts';

export interface ReminderSet {
  [key: string]: unknown;
  incidentId: string;
  number: number;
  minutes: number;
}

/** Sets the public-update cadence after which the bot nudges the channel. */
export async function setReminder(ctx: AppContext, meta: CommandMeta, incidentId: string, input: { minutes: number }): Promise<CommandResult<ReminderSet>> {
  if (!Number.isInteger(input.minutes) || input.minutes < 1 || input.minutes > 1440) {
    throw new DomainError('bad_minutes', { value: String(input.minutes) }, 'remind');
  }
  return runWrite(ctx, meta, 'remind', incidentId, async (tx, now) => {
    const incident = await loadForActor(tx, incidentId, meta, { write: true });
    await tx.update(t.incident).set({ remindMinutes: input.minutes, updatedAt: now }).where(eq(t.incident.id, incidentId));
    await appendEntry(tx, ctx, incidentId, { kind: 'reminder', actor: meta.actor, occurredAt: now, recordedAt: now, data: { minutes: input.minutes } });
    await addResponder(tx, incidentId, meta.actor, now);
    return { incidentId, number: incident.number, minutes: input.minutes };
  });
}
