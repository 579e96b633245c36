import { formatIncidentRef } from '../../core/model.ts';
import { snoozeReminders } from '../../manager/snooze.ts';
import { formatTime, text } from './reply.ts';
import type { ChatCommandDefinition } from './types.ts';

/** `snooze <minutes>`: pauses the incident's reminders. */
export const snoozeCommand: ChatCommandDefinition<'snooze'> = {
  verbs: ['snooze'],
  scope: 'incident',
  writes: true,
  run: async (ctx, command, incidentId) => {
    const { outcome, replayed } = await snoozeReminders(ctx.app, ctx.meta, incidentId, { minutes: command.minutes });
    return { message: text(ctx.tr('manager:snooze.done', { ref: formatIncidentRef(outcome.number), time: formatTime(ctx, outcome.until) })), replayed };
  },
};
