import { and, eq } from 'drizzle-orm';
import { DomainError } from '../core/errors.ts';
import type { SettableStatus } from '../core/model.ts';
import type { IncidentSnapshot } from '../core/incident.ts';
import { assertNotBeforeIncident, explicitForm } from '../core/time.ts';
import { assertNotOvertaken, assertTransition, impactStart } from '../core/timeline.ts';
import * as t from '../db/schema.ts';
import { actorZone, type CommandMeta, type CommandResult, loadForActor, runWrite } from './command-runner.ts';
import type { AppContext } from './context.ts';
import { createPublicUpdate, type UpdateDrafted } from './public-updates.ts';
import type { Tx } from '../db/client.ts';
import { addResponder, appendEntry, occurredAt, refreshStatus, setMoment, touchIncident } from './writes.ts';

export interface StatusChanged {
  [key: string]: unknown;
  incidentId: string;
  number: number;
  from: string;
  to: string;
  /** The derived status after the change; differs from `to` when a back-dated change was overtaken by a newer one. */
  status: string;
  occurredAt: string;
  update?: UpdateDrafted;
  /** True when `status resolved at …` on a resolved incident corrected when it was resolved. */
  corrected?: boolean;
}

/** Changes status (with optional public text, which becomes a public update at that status). */
export async function changeStatus(
  ctx: AppContext,
  meta: CommandMeta,
  incidentId: string,
  input: { status: SettableStatus; at?: Date; bareClock?: boolean; publicText?: string },
): Promise<CommandResult<StatusChanged>> {
  return runWrite(ctx, meta, 'status', incidentId, async (tx, now) => {
    const incident = await loadForActor(tx, incidentId, meta, { write: true, requireResponder: Boolean(input.publicText) });
    if (incident.status === 'resolved' && input.status === 'resolved' && input.at && !input.publicText) {
      return correctResolved(tx, ctx, meta, incident, input.at, input.bareClock ?? false, now);
    }
    try {
      assertTransition(incident.status, input.status);
    } catch (e) {
      throw e instanceof DomainError ? e.withVerb('status') : e;
    }
    const at = occurredAt(input.at, now, 'status');
    try {
      if (input.at) assertNotBeforeIncident({ at, bareClock: input.bareClock ?? false }, impactStart(incident), actorZone(ctx, meta.actor));
      // Refused, not recorded as a no-op: a later change would keep its status, and a public
      // update drafted here would announce a status the incident does not have.
      assertNotOvertaken(incident.entries, at);
    } catch (e) {
      throw e instanceof DomainError ? e.withVerb('status') : e;
    }
    await appendEntry(tx, ctx, incidentId, {
      kind: 'status',
      actor: meta.actor,
      occurredAt: at,
      recordedAt: now,
      text: input.publicText?.trim() || null,
      sourceLang: meta.actor.lang,
      data: { status: input.status, from: incident.status },
    });
    const status = await refreshStatus(tx, incidentId, now);
    if (status === 'resolved' && input.status === 'resolved') {
      await setMoment(tx, incidentId, 'resolved', at, meta.actor.id, now);
    } else if (status !== 'resolved' && incident.moments.resolved) {
      // Reopened: the incident is no longer resolved, so its resolution time no longer holds.
      await tx.delete(t.keyMoment).where(and(eq(t.keyMoment.incidentId, incidentId), eq(t.keyMoment.kind, 'resolved')));
    }
    await addResponder(tx, incidentId, meta.actor, now);
    const update = input.publicText
      ? await createPublicUpdate(tx, ctx, { ...incident, status }, { status, body: input.publicText, actor: meta.actor, now })
      : undefined;
    return {
      incidentId,
      number: incident.number,
      from: incident.status,
      to: input.status,
      status,
      occurredAt: at.toISOString(),
      ...(update ? { update } : {}),
    };
  });
}

/**
 * `status resolved at …` on a resolved incident corrects when it was resolved: the key moment
 * moves, so the components' impact windows (which end there) and with them history bars,
 * uptime and the postmortem follow. The timeline keeps the correction as a moment entry.
 */
async function correctResolved(
  tx: Tx,
  ctx: AppContext,
  meta: CommandMeta,
  incident: IncidentSnapshot,
  stated: Date,
  bareClock: boolean,
  now: Date,
): Promise<StatusChanged> {
  const at = occurredAt(stated, now, 'status');
  try {
    assertNotBeforeIncident({ at, bareClock }, impactStart(incident), actorZone(ctx, meta.actor));
    if (at.getTime() < impactStart(incident).getTime()) {
      throw new DomainError('before_incident', { value: explicitForm(at, actorZone(ctx, meta.actor)), meantAt: at.toISOString(), beganAt: impactStart(incident).toISOString(), explicit: explicitForm(at, actorZone(ctx, meta.actor)) });
    }
  } catch (e) {
    throw e instanceof DomainError ? e.withVerb('status') : e;
  }
  await setMoment(tx, incident.id, 'resolved', at, meta.actor.id, now);
  await appendEntry(tx, ctx, incident.id, {
    kind: 'moment',
    actor: meta.actor,
    occurredAt: at,
    recordedAt: now,
    data: { moment: 'resolved', at: at.toISOString() },
  });
  await addResponder(tx, incident.id, meta.actor, now);
  await touchIncident(tx, incident.id, now);
  return { incidentId: incident.id, number: incident.number, from: 'resolved', to: 'resolved', status: 'resolved', occurredAt: at.toISOString(), corrected: true };
}
