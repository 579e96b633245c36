import { DomainError } from '../core/errors.ts';
import { MAX_TEXT_LENGTH } from '../core/model.ts';
import { type CommandMeta, type CommandResult, loadForActor, runWrite } from './command-runner.ts';
import type { AppContext } from './context.ts';
import { addResponder, appendEntry } from './writes.ts';

export interface CauseAdded {
  [key: string]: unknown;
  incidentId: string;
  number: number;
}

/** A root-cause note for the postmortem; allowed after close too, since causes are often found later. */
export async function addCause(ctx: AppContext, meta: CommandMeta, incidentId: string, input: { text: string }): Promise<CommandResult<CauseAdded>> {
  const text = input.text.trim();
  if (!text) throw new DomainError('missing_argument', { argument: 'text' }, 'cause');
  if (text.length > MAX_TEXT_LENGTH) throw new DomainError('text_too_long', { max: MAX_TEXT_LENGTH }, 'cause');
  return runWrite(ctx, meta, 'cause', incidentId, async (tx, now) => {
    const incident = await loadForActor(tx, incidentId, meta, { write: false, requireResponder: true });
    await appendEntry(tx, ctx, incidentId, { kind: 'cause', actor: meta.actor, occurredAt: now, recordedAt: now, text, sourceLang: meta.actor.lang });
    await addResponder(tx, incidentId, meta.actor, now);
    return { incidentId, number: incident.number };
  });
}
