import { setReminder } from '../../app/set-reminder.ts';
import { formatIncidentRef } from '../../core/model.ts';
import { text } from './reply.ts';
import type { ChatCommandDefinition } from './types.ts';

/** `remind <minutes>`: reminds the channel when no public update has gone out for that long. */
export const remindCommand: ChatCommandDefinition<'remind'> = {
  verbs: ['remind'],
  scope: 'incident',
  writes: true,
  run: async (ctx, command, incidentId) => {
    const { outcome, replayed } = await setReminder(ctx.app, ctx.meta, incidentId, { minutes: command.minutes });
    return { message: text(ctx.tr('reply.reminderSet', { ref: formatIncidentRef(outcome.number), minutes: outcome.minutes })), replayed };
  },
};
