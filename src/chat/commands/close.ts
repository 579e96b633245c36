import { closeIncident } from '../../app/close-incident.ts';
import { formatIncidentRef } from '../../core/model.ts';
import { postmortemReply } from './postmortem-reply.ts';
import type { ChatCommandDefinition } from './types.ts';

/** `close [final text]`: closes the incident (resolving it first if needed) and writes the postmortem draft. */
export const closeCommand: ChatCommandDefinition<'close'> = {
  verbs: ['close'],
  scope: 'incident',
  writes: true,
  run: async (ctx, command, incidentId) => {
    const { outcome: o, replayed } = await closeIncident(ctx.app, ctx.meta, incidentId, command.finalText ? { finalText: command.finalText } : {});
    const key = o.resolvedNow ? 'reply.closedResolved' : 'reply.closed';
    const headline = ctx.tr(key, { ref: formatIncidentRef(o.number), langs: o.postmortemLangs.join(', ') });
    const reply = await postmortemReply(ctx, incidentId, headline, Boolean(replayed));
    return { ...reply, ...(o.update ? { previewUpdateId: o.update.updateId } : {}) };
  },
};
