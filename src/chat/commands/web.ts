import type { CommandMeta } from '../../app/command-runner.ts';
import { createSignInLink } from '../../web/auth.ts';
import type { ChatCommandDefinition } from './types.ts';

/**
 * Whether a reply here could be read by others than the asker. Slack answers ephemerally
 * anywhere; Teams has no ephemeral messages, so only its personal chat with the bot is
 * private — a channel (`channelId`) or a group chat (`…@thread…`) is not.
 */
function sharedConversation(meta: CommandMeta): boolean {
  const origin = meta.origin;
  if (meta.actor.platform !== 'teams' || !origin) return false;
  const conversation = origin.conversation as { channelId?: unknown; conversationId?: unknown };
  return Boolean(conversation.channelId) || (typeof conversation.conversationId === 'string' && conversation.conversationId.includes('@thread'));
}

/**
 * `web`: a single-use sign-in link to the web app, valid 10 minutes, shown only to the asker.
 * The session it opens is this chat user, with the same rights as in chat. Where the answer
 * would be seen by everyone (a Teams channel or group chat) no link is made: whoever clicked
 * first would be signed in as the asker.
 */
export const webCommand: ChatCommandDefinition<'web'> = {
  verbs: ['web'],
  scope: 'global',
  run: async (ctx) => {
    const { actor } = ctx.meta;
    if (sharedConversation(ctx.meta)) {
      const text = ctx.tr('web:chat.privateOnly');
      return { visibility: 'ephemeral', message: { text, lines: [text] } };
    }
    const now = ctx.app.clock.now();
    const link = await createSignInLink(
      ctx.app.db,
      { platform: actor.platform, userId: actor.id, userName: actor.name, lang: actor.lang, timeZone: actor.timeZone },
      { publicUrl: ctx.app.settings.publicUrl, now },
    );
    const until = ctx.i18n.formatDateTime(link.expiresAt, ctx.lang, ctx.rc.zone, 'time');
    const text = ctx.tr('web:chat.linkIntro', { until });
    return {
      visibility: 'ephemeral',
      message: { text, lines: [text, ctx.tr('web:chat.linkWarning')], links: [{ label: ctx.tr('web:chat.linkLabel'), url: link.url }] },
    };
  },
};
