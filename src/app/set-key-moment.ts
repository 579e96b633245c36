import type { SettableMoment } from '../core/model.ts';
import { type CommandMeta, type CommandResult, loadForActor, runWrite } from './command-runner.ts';
import type { AppContext } from './context.ts';
import { addResponder, appendEntry, occurredAt, setMoment, touchIncident } from './writes.ts';

export interface MomentSet {
  [key: string]: unknown;
  incidentId: string;
  number: number;
  moment: SettableMoment;
  at: string;
}

/** Sets or back-dates `started`, `detected` or `mitigated`. */
export async function setKeyMoment(
  ctx: AppContext,
  meta: CommandMeta,
  incidentId: string,
  input: { moment: SettableMoment; at: Date },
): Promise<CommandResult<MomentSet>> {
  return runWrite(ctx, meta, input.moment, incidentId, async (tx, now) => {
    const incident = await loadForActor(tx, incidentId, meta, { write: true });
    const at = occurredAt(input.at, now, input.moment);
    await setMoment(tx, incidentId, input.moment, at, meta.actor.id, now);
    await appendEntry(tx, ctx, incidentId, {
      kind: 'moment',
      actor: meta.actor,
      occurredAt: at,
      recordedAt: now,
      data: { moment: input.moment, at: at.toISOString() },
    });
    await addResponder(tx, incidentId, meta.actor, now);
    await touchIncident(tx, incidentId, now);
    return { incidentId, number: incident.number, moment: input.moment, at: at.toISOString() };
  });
}
