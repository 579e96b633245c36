import type { BlockAction, ButtonAction } from '@slack/bolt';
import type { InboxItem } from '../../../outbox/inbox.ts';
import type { IncomingAction } from '../../dispatcher.ts';
import { findUpdate } from '../find-update.ts';
import { answering, type ReplyTarget, sendReplies } from '../replies.ts';
import { respondTo } from '../respond.ts';
import { withRateLimit } from '../slack-client.ts';
import type { SlackContext } from '../slack-context.ts';
import { editTranslationModal } from '../views.ts';

/**
 * A stored Publish / Edit translation / Cancel / Retry press on a preview. Publishing twice on
 * a double click is prevented by the use case (the second press finds the update published);
 * Edit opens the form; the preview itself is replaced in place with its new state.
 */
export function processPreviewAction(ctx: SlackContext) {
  return async (item: InboxItem): Promise<void> => {
    const body = item.payload as unknown as BlockAction<ButtonAction>;
    const action = body.actions?.[0];
    const channelId = body.channel?.id ?? body.container?.channel_id;
    if (!action || !channelId) return;
    const actor = await ctx.users.actor(body.user.id, body.user.name ?? body.user.id);
    const respond = body.response_url ? respondTo(body.response_url, ctx.logger) : undefined;
    const target: ReplyTarget = { channelId, userId: body.user.id, lang: actor.lang, respond, requestKey: item.deliveryKey };
    await answering(ctx, target, async () => {
      const result = await ctx.dispatcher.handleAction(
        { actionId: action.action_id as IncomingAction['actionId'], value: action.value ?? '', actor, channelId, idempotencyKey: body.trigger_id },
        { retryUnavailable: true },
      );
      if (result.openForm?.kind === 'edit_translation') {
        const update = await findUpdate(ctx, result.openForm.updateId);
        if (!update) return;
        const view = editTranslationModal(ctx.i18n, actor.lang, update, ctx.app.settings.locales, channelId);
        await withRateLimit(() => ctx.client.views.open({ trigger_id: body.trigger_id, view: view as never }));
        return;
      }
      // The preview (the reply carrying buttons, possibly none left) replaces the pressed message.
      const preview = result.replies.find((r) => r.message.actions !== undefined);
      const others = result.replies.filter((r) => r !== preview);
      if (preview) {
        const rendered = ctx.platform.render(preview.message, actor.lang);
        const container = body.container as { type?: string; is_ephemeral?: boolean; message_ts?: string };
        if (container.type === 'message' && !container.is_ephemeral && container.message_ts) {
          await withRateLimit(() => ctx.client.chat.update({ channel: channelId, ts: container.message_ts!, ...rendered }));
        } else if (respond) {
          await respond({ replace_original: true, ...rendered });
        }
      }
      await sendReplies(ctx, others, target);
    });
  };
}
