import { generatePostmortem } from '../../app/generate-postmortem.ts';
import { formatIncidentRef } from '../../core/model.ts';
import { text } from './reply.ts';
import type { ChatCommandDefinition } from './types.ts';

/** `postmortem`: regenerates the incident's postmortem draft. */
export const postmortemCommand: ChatCommandDefinition<'postmortem'> = {
  verbs: ['postmortem'],
  scope: 'incident',
  writes: true,
  run: async (ctx, _command, incidentId) => {
    const { outcome, replayed } = await generatePostmortem(ctx.app, ctx.meta, incidentId);
    return { message: text(ctx.tr('reply.postmortem', { ref: formatIncidentRef(outcome.number), langs: outcome.langs.join(', ') })), replayed };
  },
};
