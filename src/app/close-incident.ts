import { DomainError } from '../core/errors.ts';
import { type CommandMeta, type CommandResult, loadForActor, runWrite } from './command-runner.ts';
import type { AppContext } from './context.ts';
import { writePostmortems } from './generate-postmortem.ts';
import { createPublicUpdate, type UpdateDrafted } from './public-updates.ts';
import { addResponder, appendEntry, refreshStatus, setMoment } from './writes.ts';

export interface IncidentClosed {
  [key: string]: unknown;
  incidentId: string;
  number: number;
  /** True when close also resolved it. */
  resolvedNow: boolean;
  update?: UpdateDrafted;
  postmortemLangs: string[];
}

/**
 * `close [final text]`: resolves if needed, writes the final public update, then the
 * postmortem draft, and closes — all in one transaction, so a failure leaves it open.
 */
export async function closeIncident(
  ctx: AppContext,
  meta: CommandMeta,
  incidentId: string,
  input: { finalText?: string },
): Promise<CommandResult<IncidentClosed>> {
  return runWrite(ctx, meta, 'close', incidentId, async (tx, now) => {
    const incident = await loadForActor(tx, incidentId, meta, { write: true, requireResponder: true });
    const finalText = input.finalText?.trim();
    if (finalText && incident.visibility === 'private') {
      throw new DomainError('private_incident', { ref: `INC-${incident.number}` }, 'close');
    }
    const resolvedNow = incident.status !== 'resolved';
    if (resolvedNow) {
      await appendEntry(tx, ctx, incidentId, {
        kind: 'status',
        actor: meta.actor,
        occurredAt: now,
        recordedAt: now,
        data: { status: 'resolved', from: incident.status },
      });
      await setMoment(tx, incidentId, 'resolved', now, meta.actor.id, now);
    }
    const update = finalText
      ? await createPublicUpdate(tx, ctx, { ...incident, status: 'resolved' }, { status: 'resolved', body: finalText, actor: meta.actor, now })
      : undefined;
    await appendEntry(tx, ctx, incidentId, {
      kind: 'closed',
      actor: meta.actor,
      occurredAt: now,
      recordedAt: now,
      text: finalText ?? null,
      sourceLang: meta.actor.lang,
    });
    await setMoment(tx, incidentId, 'closed', now, meta.actor.id, now);
    await addResponder(tx, incidentId, meta.actor, now);
    await refreshStatus(tx, incidentId, now);
    const postmortemLangs = await writePostmortems(tx, ctx, incidentId, now);
    return { incidentId, number: incident.number, resolvedNow, postmortemLangs, ...(update ? { update } : {}) };
  });
}
