import type { AllMiddlewareArgs, BlockAction, ButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { eq } from 'drizzle-orm';
import type { PublicUpdateView } from '../../../core/incident.ts';
import { isUuid } from '../../../core/model.ts';
import { loadPublicUpdates } from '../../../db/incident-repository.ts';
import * as t from '../../../db/schema.ts';
import type { SlackContext } from '../slack-context.ts';
import type { IncomingAction } from '../../dispatcher.ts';
import { answering, type ReplyTarget, sendReplies } from '../replies.ts';
import { withRateLimit } from '../slack-client.ts';
import { editTranslationModal } from '../views.ts';

/** The buttons of a public-update preview, as the renderer names them. */
export const PREVIEW_ACTIONS = /^(publish_update|edit_translation|cancel_update|retry_translation)$/;

/**
 * Publish / Edit translation / Cancel on a preview. Publishing twice on a double click is
 * prevented by the use case (the second press finds the update published); Edit opens the
 * form; the preview itself is replaced in place with its new state.
 */
export function previewAction(ctx: SlackContext) {
  return async ({ body, action, ack, respond }: SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs): Promise<void> => {
    await ack();
    if (!ctx.afterAck.claim(`trigger:${body.trigger_id}`)) return;
    await ctx.afterAck.run(async () => {
      const channelId = body.channel?.id ?? body.container?.channel_id;
      if (!channelId) return;
      const actor = await ctx.users.actor(body.user.id, body.user.name ?? body.user.id);
      const target: ReplyTarget = { channelId, userId: body.user.id, lang: actor.lang, respond };
      await answering(ctx, target, async () => {
        const result = await ctx.dispatcher.handleAction({
          actionId: action.action_id as IncomingAction['actionId'],
          value: action.value ?? '',
          actor,
          channelId,
          idempotencyKey: body.trigger_id,
        });
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
          } else {
            await respond({ replace_original: true, ...rendered });
          }
        }
        await sendReplies(ctx, others, target);
      });
    });
  };
}

/** A public update with its translations, as the edit form shows it. */
export async function findUpdate(ctx: SlackContext, updateId: string): Promise<PublicUpdateView | undefined> {
  if (!isUuid(updateId)) return undefined;
  const [row] = await ctx.app.db.select({ incidentId: t.publicUpdate.incidentId }).from(t.publicUpdate).where(eq(t.publicUpdate.id, updateId));
  if (!row) return undefined;
  return (await loadPublicUpdates(ctx.app.db, row.incidentId)).find((u) => u.id === updateId);
}
