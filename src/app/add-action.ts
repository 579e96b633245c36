import { DomainError } from '../core/errors.ts';
import type { ChatUserRef } from '../core/command.ts';
import { MAX_TEXT_LENGTH } from '../core/model.ts';
import * as t from '../db/schema.ts';
import { type CommandMeta, type CommandResult, loadForActor, runWrite } from './command-runner.ts';
import type { AppContext } from './context.ts';
import { addResponder, appendEntry } from './writes.ts';

export interface ActionAdded {
  [key: string]: unknown;
  incidentId: string;
  number: number;
  actionId: string;
  ownerName: string | null;
}

/** An action item for the postmortem, with an optional owner; allowed after close too. */
export async function addAction(
  ctx: AppContext,
  meta: CommandMeta,
  incidentId: string,
  input: { text: string; owner?: ChatUserRef },
): Promise<CommandResult<ActionAdded>> {
  const text = input.text.trim();
  if (!text) throw new DomainError('missing_argument', { argument: 'text' }, 'action');
  if (text.length > MAX_TEXT_LENGTH) throw new DomainError('text_too_long', { max: MAX_TEXT_LENGTH }, 'action');
  const ownerName = input.owner ? input.owner.display.replace(/^@/, '') : null;
  const ownerId = input.owner ? (input.owner.id ?? ownerName) : null;
  return runWrite(ctx, meta, 'action', incidentId, async (tx, now) => {
    const incident = await loadForActor(tx, incidentId, meta, { write: false, requireResponder: true });
    const actionId = ctx.newId();
    await tx.insert(t.actionItem).values({ id: actionId, incidentId, text, ownerId, ownerName, createdAt: now });
    await appendEntry(tx, ctx, incidentId, {
      kind: 'action',
      actor: meta.actor,
      occurredAt: now,
      recordedAt: now,
      text,
      sourceLang: meta.actor.lang,
      data: { actionId, ownerName },
    });
    await addResponder(tx, incidentId, meta.actor, now);
    return { incidentId, number: incident.number, actionId, ownerName };
  });
}
