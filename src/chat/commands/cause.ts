import { addCause } from '../../app/add-cause.ts';
import { formatIncidentRef } from '../../core/model.ts';
import { text } from './reply.ts';
import type { ChatCommandDefinition } from './types.ts';

/** `cause <text>`: records a note on the cause. */
export const causeCommand: ChatCommandDefinition<'cause'> = {
  verbs: ['cause'],
  scope: 'incident',
  writes: true,
  run: async (ctx, command, incidentId) => {
    const { outcome, replayed } = await addCause(ctx.app, ctx.meta, incidentId, { text: command.text });
    return { message: text(ctx.tr('reply.causeAdded', { ref: formatIncidentRef(outcome.number) })), replayed };
  },
};
