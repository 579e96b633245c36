import type { InboxItem } from '../../../outbox/inbox.ts';
import { answering, type ReplyTarget, sendReplies } from '../replies.ts';
import type { SlackContext } from '../slack-context.ts';
import { decodeSlackText } from '../slack-text.ts';

/** A stored `@tsuiki update …`: the same words as `/incident`, keyed by the event's id. */
export function processAppMention(ctx: SlackContext) {
  return async (item: InboxItem): Promise<void> => {
    const body = item.payload as { event_id?: string; event?: { user?: string; channel: string; text: string } };
    const event = body.event;
    if (!event?.user || !body.event_id) return;
    const userId = event.user;
    const actor = await ctx.users.actor(userId, userId);
    const target: ReplyTarget = { channelId: event.channel, userId, lang: actor.lang, requestKey: item.deliveryKey };
    const raw = event.text.replace(/^\s*<@[A-Z0-9]+(?:\|[^>]*)?>\s*/i, '');
    await answering(ctx, target, async () => {
      // Decoded once, here: everything past this point sees what the person typed, never Slack markup.
      const { text, mentions } = await decodeSlackText(raw, (id) => ctx.users.displayName(id));
      const result = await ctx.dispatcher.handle({ text, mentions, actor, channelId: event.channel, idempotencyKey: `event:${body.event_id}` }, { retryUnavailable: true });
      await sendReplies(ctx, result.replies, target);
    });
  };
}
