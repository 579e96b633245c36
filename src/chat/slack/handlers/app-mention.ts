import type { InboxItem } from '../../../outbox/inbox.ts';
import { answering, type ReplyTarget, sendReplies } from '../replies.ts';
import type { SlackContext } from '../slack-context.ts';

/** A stored `@tsuiki update …`: the same words as `/incident`, keyed by the event's id. */
export function processAppMention(ctx: SlackContext) {
  return async (item: InboxItem): Promise<void> => {
    const body = item.payload as { event_id?: string; event?: { user?: string; channel: string; text: string } };
    const event = body.event;
    if (!event?.user || !body.event_id) return;
    const userId = event.user;
    const actor = await ctx.users.actor(userId, userId);
    const target: ReplyTarget = { channelId: event.channel, userId, lang: actor.lang, requestKey: item.deliveryKey };
    const text = event.text.replace(/^\s*<@[A-Z0-9]+(?:\|[^>]*)?>\s*/i, '');
    await answering(ctx, target, async () => {
      const result = await ctx.dispatcher.handle({ text, actor, channelId: event.channel, idempotencyKey: `event:${body.event_id}` }, { retryUnavailable: true });
      await sendReplies(ctx, result.replies, target);
    });
  };
}
