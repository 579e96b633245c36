import { createSignInLink } from '../../web/auth.ts';
import type { ChatCommandDefinition } from './types.ts';

/**
 * `web`: a single-use sign-in link to the web app, valid 10 minutes, shown only to the asker.
 * The session it opens is this chat user, with the same rights as in chat.
 */
export const webCommand: ChatCommandDefinition<'web'> = {
  verbs: ['web'],
  scope: 'global',
  run: async (ctx) => {
    const { actor } = ctx.meta;
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
