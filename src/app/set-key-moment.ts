import { and, eq } from 'drizzle-orm';
import { DomainError } from '../core/errors.ts';
import type { SettableMoment } from '../core/model.ts';
import { assertNotBeforeIncident } from '../core/time.ts';
import { impactStart, movedImpactWindows } from '../core/timeline.ts';
import * as t from '../db/schema.ts';
import { actorZone, type CommandMeta, type CommandResult, loadForActor, runWrite } from './command-runner.ts';
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
  input: { moment: SettableMoment; at: Date; bareClock?: boolean },
): Promise<CommandResult<MomentSet>> {
  return runWrite(ctx, meta, input.moment, incidentId, async (tx, now) => {
    const incident = await loadForActor(tx, incidentId, meta, { write: true });
    const at = occurredAt(input.at, now, input.moment);
    // `started` is how the beginning is corrected, so only the other moments must fall after it.
    if (input.moment !== 'started') {
      try {
        assertNotBeforeIncident({ at, bareClock: input.bareClock ?? false }, impactStart(incident), actorZone(ctx, meta.actor));
      } catch (e) {
        throw e instanceof DomainError ? e.withVerb(input.moment) : e;
      }
    } else {
      // The components' impact windows follow the corrected start (history bars, uptime, postmortem).
      for (const moved of movedImpactWindows(incident.components, impactStart(incident), at)) {
        await tx
          .update(t.incidentComponent)
          .set({ since: moved.since })
          .where(and(eq(t.incidentComponent.incidentId, incidentId), eq(t.incidentComponent.componentId, moved.id)));
      }
    }
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
