import type { AllMiddlewareArgs, SlackEventMiddlewareArgs } from '@slack/bolt';
import { answering, type ReplyTarget, sendReplies } from '../replies.ts';
import type { SlackContext } from '../slack-context.ts';

/** `@tsuiki update …` in a channel: the same words as `/incident`, keyed by the event's id. */
export function appMention(ctx: SlackContext) {
  return async ({ event, body }: SlackEventMiddlewareArgs<'app_mention'> & AllMiddlewareArgs): Promise<void> => {
    // Slack redelivers an event it thinks was lost with the same event_id (and X-Slack-Retry-Num).
    if (!ctx.afterAck.claim(`event:${body.event_id}`)) return;
    if (!event.user) return;
    const userId = event.user;
    await ctx.afterAck.run(async () => {
      const actor = await ctx.users.actor(userId, userId);
      const target: ReplyTarget = { channelId: event.channel, userId, lang: actor.lang };
      const text = event.text.replace(/^\s*<@[A-Z0-9]+(?:\|[^>]*)?>\s*/i, '');
      await answering(ctx, target, async () => {
        const result = await ctx.dispatcher.handle({ text, actor, channelId: event.channel, idempotencyKey: `event:${body.event_id}` });
        await sendReplies(ctx, result.replies, target);
      });
    });
  };
}
