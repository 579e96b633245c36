import type { AllMiddlewareArgs, SlackViewMiddlewareArgs } from '@slack/bolt';
import * as t from '../../../db/schema.ts';
import { answering, type ReplyTarget, sendReplies } from '../replies.ts';
import type { SlackContext } from '../slack-context.ts';
import { readDeclareForm, readPrivateMetadata, type ViewValues } from '../views.ts';

/**
 * The declare form submitted: invalid fields are answered in the modal itself
 * (`response_action: errors`); a valid form closes and declares, after the ack.
 */
export function declareSubmission(ctx: SlackContext) {
  return async ({ body, view, ack }: SlackViewMiddlewareArgs & AllMiddlewareArgs): Promise<void> => {
    const metadata = readPrivateMetadata(view.private_metadata);
    const meta = { channelId: typeof metadata.channelId === 'string' ? metadata.channelId : undefined, lang: typeof metadata.lang === 'string' ? metadata.lang : undefined };
    const lang = ctx.i18n.pick(meta.lang);
    // With a component catalog, names outside it are refused in the form rather than after it closed.
    const known = ctx.app.settings.strictComponents
      ? new Set((await ctx.app.db.select({ id: t.component.id }).from(t.component)).map((r) => r.id))
      : undefined;
    const form = readDeclareForm(view.state.values as ViewValues, ctx.i18n, lang, known);
    if ('errors' in form) {
      await ack({ response_action: 'errors', errors: form.errors });
      return;
    }
    await ack();
    const trigger = (body as { trigger_id?: string }).trigger_id;
    if (!ctx.afterAck.claim(trigger && `trigger:${trigger}`)) return;
    await ctx.afterAck.run(async () => {
      const actor = await ctx.users.actor(body.user.id, body.user.name);
      const channelId = meta.channelId ?? body.user.id;
      const target: ReplyTarget = { channelId, userId: body.user.id, lang: actor.lang };
      await answering(ctx, target, async () => {
        const result = await ctx.dispatcher.handle({
          text: '',
          command: form.command,
          actor,
          channelId,
          ...(trigger ? { idempotencyKey: trigger } : {}),
        });
        await sendReplies(ctx, result.replies, target);
      });
    });
  };
}
