import { addNote } from '../../app/add-note.ts';
import { formatIncidentRef } from '../../core/model.ts';
import { formatTime, text } from './reply.ts';
import type { ChatCommandDefinition } from './types.ts';

/** `update <text>`: adds a note to the timeline, back-dated with `at`. */
export const updateCommand: ChatCommandDefinition<'update'> = {
  verbs: ['update'],
  scope: 'incident',
  writes: true,
  run: async (ctx, command, incidentId) => {
    const { outcome, replayed } = await addNote(ctx.app, ctx.meta, incidentId, { text: command.text, ...(command.at ? { at: command.at, bareClock: command.bareClock ?? false } : {}) });
    const key = outcome.backdated ? 'reply.noteBackdated' : 'reply.noteAdded';
    return { message: text(ctx.tr(key, { ref: formatIncidentRef(outcome.number), time: formatTime(ctx, outcome.occurredAt) })), replayed };
  },
};
