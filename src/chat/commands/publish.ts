import { draftPublicUpdate } from '../../app/draft-public-update.ts';
import { text } from './reply.ts';
import type { ChatCommandDefinition } from './types.ts';

/** `publish <text>`: a public update, drafted for review or published at once. */
export const publishCommand: ChatCommandDefinition<'publish'> = {
  verbs: ['publish'],
  scope: 'incident',
  writes: true,
  run: async (ctx, command, incidentId) => {
    const { outcome, replayed } = await draftPublicUpdate(ctx.app, ctx.meta, incidentId, { text: command.text });
    const status = ctx.tr(`common:status.${outcome.status}`);
    const key = outcome.state === 'published' ? 'reply.updatePublished' : 'reply.updateDraft';
    return { message: text(ctx.tr(key, { status })), replayed, previewUpdateId: outcome.updateId };
  },
};
