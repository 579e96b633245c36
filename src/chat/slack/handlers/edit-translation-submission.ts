import type { SlackViewAction, ViewOutput } from '@slack/bolt';
import type { InboxItem } from '../../../outbox/inbox.ts';
import type { Reply } from '../../message.ts';
import { findUpdate } from '../find-update.ts';
import { answering, type ReplyTarget, sendReplies } from '../replies.ts';
import type { SlackContext } from '../slack-context.ts';
import { readPrivateMetadata, readTranslationForm, type ViewValues } from '../views.ts';

/** A stored Edit translation form: each changed language is saved as a human translation. */
export function processEditTranslationSubmission(ctx: SlackContext) {
  return async (item: InboxItem): Promise<void> => {
    const body = item.payload as unknown as SlackViewAction & { view: ViewOutput; trigger_id?: string };
    const trigger = body.trigger_id;
    const { updateId, channelId } = readPrivateMetadata(body.view.private_metadata);
    if (typeof updateId !== 'string' || typeof channelId !== 'string' || !updateId || !channelId) return;
    const actor = await ctx.users.actor(body.user.id, body.user.name);
    const target: ReplyTarget = { channelId, userId: body.user.id, lang: actor.lang, requestKey: item.deliveryKey };
    await answering(ctx, target, async () => {
      const update = await findUpdate(ctx, updateId);
      if (!update) return;
      const changes = readTranslationForm(body.view.state.values as ViewValues, update, ctx.app.settings.locales);
      let last: Reply[] = [];
      const saved: Reply[] = [];
      for (const change of changes) {
        const result = await ctx.dispatcher.handleAction(
          { actionId: 'edit_translation', value: update.id, actor, channelId, translation: change, ...(trigger ? { idempotencyKey: `${trigger}:${change.lang}` } : {}) },
          { retryUnavailable: true },
        );
        // Each save re-renders the preview: only the last one is shown, with every "saved" note.
        saved.push(...result.replies.filter((r) => r.message.actions === undefined));
        last = result.replies.filter((r) => r.message.actions !== undefined);
      }
      await sendReplies(ctx, [...saved, ...last], target);
    });
  };
}
