import { followUpstream } from '../../app/follow-upstream.ts';
import { text } from './reply.ts';
import type { ChatCommandDefinition } from './types.ts';

/** `follow <url>`: follows a vendor's status page. */
export const followCommand: ChatCommandDefinition<'follow'> = {
  verbs: ['follow'],
  scope: 'global',
  run: async (ctx, command) => {
    // A retried follow answers as the first did: following is the same state either way.
    const { outcome } = await followUpstream(ctx.app, ctx.meta, { url: command.url });
    const key = outcome.alreadyFollowing ? 'reply.alreadyFollowing' : 'reply.following';
    return { message: text(ctx.tr(key, { url: outcome.url, incidentsUrl: outcome.incidentsUrl })) };
  },
};
