import { eq } from 'drizzle-orm';
import { DomainError } from '../core/errors.ts';
import type { Severity } from '../core/model.ts';
import * as t from '../db/schema.ts';
import { type CommandMeta, type CommandResult, loadForActor, runWrite } from './command-runner.ts';
import type { AppContext } from './context.ts';
import { addResponder, appendEntry } from './writes.ts';

export interface SeverityChanged {
  [key: string]: unknown;
  incidentId: string;
  number: number;
  from: Severity;
  to: Severity;
}

/** Changes severity; setting the current one again is reported, not recorded. */
export async function changeSeverity(
  ctx: AppContext,
  meta: CommandMeta,
  incidentId: string,
  input: { severity: Severity },
): Promise<CommandResult<SeverityChanged>> {
  return runWrite(ctx, meta, 'severity', incidentId, async (tx, now) => {
    const incident = await loadForActor(tx, incidentId, meta, { write: true });
    if (incident.severity === input.severity) throw new DomainError('bad_argument', { value: input.severity }, 'severity');
    await tx.update(t.incident).set({ severity: input.severity, updatedAt: now }).where(eq(t.incident.id, incidentId));
    await appendEntry(tx, ctx, incidentId, {
      kind: 'severity',
      actor: meta.actor,
      occurredAt: now,
      recordedAt: now,
      data: { severity: input.severity, from: incident.severity },
    });
    await addResponder(tx, incidentId, meta.actor, now);
    return { incidentId, number: incident.number, from: incident.severity, to: input.severity };
  });
}
