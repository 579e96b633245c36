import type { AllMiddlewareArgs, SlackViewMiddlewareArgs } from '@slack/bolt';
import type { Reply } from '../../message.ts';
import { answering, type ReplyTarget, sendReplies } from '../replies.ts';
import type { SlackContext } from '../slack-context.ts';
import { readPrivateMetadata, readTranslationForm, type ViewValues } from '../views.ts';
import { findUpdate } from './preview-actions.ts';

/** The Edit translation form submitted: each changed language is saved as a human translation. */
export function editTranslationSubmission(ctx: SlackContext) {
  return async ({ body, view, ack }: SlackViewMiddlewareArgs & AllMiddlewareArgs): Promise<void> => {
    await ack();
    const trigger = (body as { trigger_id?: string }).trigger_id;
    if (!ctx.afterAck.claim(trigger && `trigger:${trigger}`)) return;
    await ctx.afterAck.run(async () => {
      const { updateId, channelId } = readPrivateMetadata(view.private_metadata);
      if (typeof updateId !== 'string' || typeof channelId !== 'string' || !updateId || !channelId) return;
      const actor = await ctx.users.actor(body.user.id, body.user.name);
      const target: ReplyTarget = { channelId, userId: body.user.id, lang: actor.lang };
      await answering(ctx, target, async () => {
        const update = await findUpdate(ctx, updateId);
        if (!update) return;
        const changes = readTranslationForm(view.state.values as ViewValues, update, ctx.app.settings.locales);
        let last: Reply[] = [];
        const saved: Reply[] = [];
        for (const change of changes) {
          const result = await ctx.dispatcher.handleAction({
            actionId: 'edit_translation',
            value: update.id,
            actor,
            channelId,
            translation: change,
            ...(trigger ? { idempotencyKey: `${trigger}:${change.lang}` } : {}),
          });
          // Each save re-renders the preview: only the last one is shown, with every "saved" note.
          saved.push(...result.replies.filter((r) => r.message.actions === undefined));
          last = result.replies.filter((r) => r.message.actions !== undefined);
        }
        await sendReplies(ctx, [...saved, ...last], target);
      });
    });
  };
}
