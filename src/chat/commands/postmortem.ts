import { generatePostmortem } from '../../app/generate-postmortem.ts';
import { formatIncidentRef } from '../../core/model.ts';
import { postmortemReply } from './postmortem-reply.ts';
import type { ChatCommandDefinition } from './types.ts';

/** `postmortem`: regenerates the incident's postmortem draft. */
export const postmortemCommand: ChatCommandDefinition<'postmortem'> = {
  verbs: ['postmortem'],
  scope: 'incident',
  writes: true,
  run: async (ctx, _command, incidentId) => {
    const { outcome, replayed } = await generatePostmortem(ctx.app, ctx.meta, incidentId);
    const headline = ctx.tr('reply.postmortem', { ref: formatIncidentRef(outcome.number), langs: outcome.langs.join(', ') });
    return postmortemReply(ctx, incidentId, headline, Boolean(replayed));
  },
};
