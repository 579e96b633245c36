import type { AllMiddlewareArgs, SlackViewMiddlewareArgs } from '@slack/bolt';
import * as t from '../../../db/schema.ts';
import { notRecordedText, slackLane, storeRequest } from '../store-request.ts';
import type { SlackContext } from '../slack-context.ts';
import { readDeclareForm, readPrivateMetadata, type ViewValues } from '../views.ts';

/**
 * The declare form submitted: invalid fields are answered in the modal itself
 * (`response_action: errors`); a valid form is stored, the modal closes, and the incident is
 * declared from the stored row (`handlers/declare-submission.ts`).
 */
export function declareSubmission(ctx: SlackContext) {
  return async ({ body, view, ack }: SlackViewMiddlewareArgs & AllMiddlewareArgs): Promise<void> => {
    const metadata = readPrivateMetadata(view.private_metadata);
    const lang = ctx.i18n.pick(typeof metadata.lang === 'string' ? metadata.lang : undefined);
    let known: Set<string> | undefined;
    try {
      // With a component catalog, names outside it are refused in the form rather than after it closed.
      known = ctx.app.settings.strictComponents ? new Set((await ctx.app.db.select({ id: t.component.id }).from(t.component)).map((r) => r.id)) : undefined;
    } catch {
      await ack({ response_action: 'errors', errors: { title: notRecordedText(ctx, body.user.id, lang) } });
      return;
    }
    const form = readDeclareForm(view.state.values as ViewValues, ctx.i18n, lang, known);
    if ('errors' in form) {
      await ack({ response_action: 'errors', errors: form.errors });
      return;
    }
    const trigger = (body as { trigger_id?: string }).trigger_id;
    const stored = await storeRequest(ctx, {
      kind: 'declare_submission',
      deliveryKey: `slack:trigger:${trigger ?? view.id}`,
      lane: slackLane(typeof metadata.channelId === 'string' ? metadata.channelId : undefined, body.user.id),
      payload: body as unknown as Record<string, unknown>,
    });
    if (stored) await ack();
    else await ack({ response_action: 'errors', errors: { title: notRecordedText(ctx, body.user.id, lang) } });
  };
}
