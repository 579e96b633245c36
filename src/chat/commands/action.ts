import { addAction } from '../../app/add-action.ts';
import { formatIncidentRef } from '../../core/model.ts';
import { text } from './reply.ts';
import type { ChatCommandDefinition } from './types.ts';

/** `action <text> [owner]`: records a follow-up action, optionally owned by someone. */
export const actionCommand: ChatCommandDefinition<'action'> = {
  verbs: ['action'],
  scope: 'incident',
  writes: true,
  run: async (ctx, command, incidentId) => {
    const { tr } = ctx;
    const { outcome, replayed } = await addAction(ctx.app, ctx.meta, incidentId, { text: command.text, ...(command.owner ? { owner: command.owner } : {}) });
    const ref = formatIncidentRef(outcome.number);
    return { message: text(outcome.ownerName ? tr('reply.actionAddedOwner', { ref, owner: outcome.ownerName }) : tr('reply.actionAdded', { ref })), replayed };
  },
};
