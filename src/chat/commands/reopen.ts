import { reopenIncident } from '../../app/reopen-incident.ts';
import { formatIncidentRef } from '../../core/model.ts';
import { formatTime, text } from './reply.ts';
import type { ChatCommandDefinition } from './types.ts';

/** `reopen [reason]`: a resolved or closed incident is investigated again. */
export const reopenCommand: ChatCommandDefinition<'reopen'> = {
  verbs: ['reopen'],
  scope: 'incident',
  writes: true,
  run: async (ctx, command, incidentId) => {
    const { tr } = ctx;
    const { outcome: o, replayed } = await reopenIncident(ctx.app, ctx.meta, incidentId, command.reason ? { reason: command.reason } : {});
    const message = text(tr('reply.reopened', { ref: formatIncidentRef(o.number), from: tr(`common:status.${o.from}`), time: formatTime(ctx, o.occurredAt) }));
    return { message, replayed };
  },
};
