import { DomainError } from '../core/errors.ts';
import { MAX_TEXT_LENGTH } from '../core/model.ts';
import { assertNotBeforeIncident } from '../core/time.ts';
import { impactStart } from '../core/timeline.ts';
import { actorZone, type CommandMeta, type CommandResult, loadHeadForActor, runWrite } from './command-runner.ts';
import type { AppContext } from './context.ts';
import { addResponder, appendEntry, occurredAt } from './writes.ts';

export interface NoteAdded {
  [key: string]: unknown;
  incidentId: string;
  number: number;
  occurredAt: string;
  backdated: boolean;
}

/** Records an internal timeline entry (`update` / `note`), optionally back-dated with `at HH:MM`. */
export async function addNote(
  ctx: AppContext,
  meta: CommandMeta,
  incidentId: string,
  input: { text: string; at?: Date; bareClock?: boolean },
): Promise<CommandResult<NoteAdded>> {
  const text = input.text.trim();
  if (!text) throw new DomainError('missing_argument', { argument: 'text' }, 'update');
  if (text.length > MAX_TEXT_LENGTH) throw new DomainError('text_too_long', { max: MAX_TEXT_LENGTH }, 'update');
  // Append-only: the incident's row is not updated (its updated_at is what the public and the
  // header see change, and a note changes neither), so notes on one incident do not queue on it.
  return runWrite(ctx, meta, 'update', incidentId, async (tx, now) => {
    const incident = await loadHeadForActor(tx, incidentId, meta, { write: true, shared: true });
    const at = occurredAt(input.at, now, 'update');
    try {
      if (input.at) assertNotBeforeIncident({ at, bareClock: input.bareClock ?? false }, impactStart(incident), actorZone(ctx, meta.actor));
    } catch (e) {
      throw e instanceof DomainError ? e.withVerb('update') : e;
    }
    // Sent together: one round trip on PostgreSQL.
    await Promise.all([
      appendEntry(tx, ctx, incidentId, {
        kind: 'note',
        actor: meta.actor,
        occurredAt: at,
        recordedAt: now,
        text,
        sourceLang: meta.actor.lang,
      }),
      addResponder(tx, incidentId, meta.actor, now),
    ]);
    return { incidentId, number: incident.number, occurredAt: at.toISOString(), backdated: at.getTime() !== now.getTime() };
  }, { header: 'touched' });
}
