import type { SlackViewAction, ViewOutput } from '@slack/bolt';
import type { InboxItem } from '../../../outbox/inbox.ts';
import { answering, type ReplyTarget, sendReplies } from '../replies.ts';
import type { SlackContext } from '../slack-context.ts';
import { readDeclareForm, readPrivateMetadata, type ViewValues } from '../views.ts';

/** A stored declare form (validated before it was acknowledged): declares under the submission's trigger_id. */
export function processDeclareSubmission(ctx: SlackContext) {
  return async (item: InboxItem): Promise<void> => {
    const body = item.payload as unknown as SlackViewAction & { view: ViewOutput; trigger_id?: string };
    const metadata = readPrivateMetadata(body.view.private_metadata);
    const lang = ctx.i18n.pick(typeof metadata.lang === 'string' ? metadata.lang : undefined);
    // Checked against the catalog before the ack; read again here only for its fields.
    const form = readDeclareForm(body.view.state.values as ViewValues, ctx.i18n, lang, undefined);
    if ('errors' in form) return;
    const actor = await ctx.users.actor(body.user.id, body.user.name);
    const channelId = typeof metadata.channelId === 'string' ? metadata.channelId : body.user.id;
    const target: ReplyTarget = { channelId, userId: body.user.id, lang: actor.lang, requestKey: item.deliveryKey };
    await answering(ctx, target, async () => {
      const result = await ctx.dispatcher.handle(
        { text: '', command: form.command, actor, channelId, ...(body.trigger_id ? { idempotencyKey: body.trigger_id } : {}) },
        { retryUnavailable: true },
      );
      await sendReplies(ctx, result.replies, target);
    });
  };
}
