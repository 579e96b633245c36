import { DomainError } from '../core/errors.ts';
import type { ChatUserRef } from '../core/command.ts';
import * as t from '../db/schema.ts';
import { type CommandMeta, type CommandResult, loadForActor, runWrite } from './command-runner.ts';
import type { AppContext } from './context.ts';
import { addResponder, appendEntry, touchIncident } from './writes.ts';

export interface RoleAssigned {
  [key: string]: unknown;
  incidentId: string;
  number: number;
  role: string;
  userId: string;
  userName: string;
}

/** Gives a role (commander, comms, scribe or any other word) to a person, replacing its holder. */
export async function assignRole(
  ctx: AppContext,
  meta: CommandMeta,
  incidentId: string,
  input: { role: string; user: ChatUserRef },
): Promise<CommandResult<RoleAssigned>> {
  const role = input.role.trim().toLowerCase();
  if (!/^[\p{L}\p{N}_-]{1,40}$/u.test(role)) throw new DomainError('bad_argument', { value: input.role }, 'assign');
  // Without a platform id (console, plain text) the typed name is the identity.
  const userId = input.user.id ?? input.user.display.replace(/^@/, '');
  const userName = input.user.display.replace(/^@/, '');
  return runWrite(ctx, meta, 'assign', incidentId, async (tx, now) => {
    const incident = await loadForActor(tx, incidentId, meta, { write: true, requireResponder: true });
    await tx
      .insert(t.incidentRole)
      .values({ incidentId, role, userId, userName, assignedAt: now })
      .onConflictDoUpdate({ target: [t.incidentRole.incidentId, t.incidentRole.role], set: { userId, userName, assignedAt: now } });
    await appendEntry(tx, ctx, incidentId, {
      kind: 'role',
      actor: meta.actor,
      occurredAt: now,
      recordedAt: now,
      data: { role, userId, userName },
    });
    await addResponder(tx, incidentId, meta.actor, now);
    await addResponder(tx, incidentId, { id: userId, name: userName }, now);
    await touchIncident(tx, incidentId, now);
    return { incidentId, number: incident.number, role, userId, userName };
  });
}
