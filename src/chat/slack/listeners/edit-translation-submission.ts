import type { AllMiddlewareArgs, SlackViewMiddlewareArgs } from '@slack/bolt';
import { notRecordedText, slackLane, storeRequest } from '../store-request.ts';
import type { SlackContext } from '../slack-context.ts';
import { readPrivateMetadata } from '../views.ts';

/** The Edit translation form submitted: stored, then the modal closes (`handlers/edit-translation-submission.ts`). */
export function editTranslationSubmission(ctx: SlackContext) {
  return async ({ body, view, ack }: SlackViewMiddlewareArgs & AllMiddlewareArgs): Promise<void> => {
    const { channelId } = readPrivateMetadata(view.private_metadata);
    const trigger = (body as { trigger_id?: string }).trigger_id;
    const stored = await storeRequest(ctx, {
      kind: 'edit_translation_submission',
      deliveryKey: `slack:trigger:${trigger ?? view.id}`,
      lane: slackLane(typeof channelId === 'string' ? channelId : undefined, body.user.id),
      payload: body as unknown as Record<string, unknown>,
    });
    if (stored) {
      await ack();
      return;
    }
    // The first language field is always there: the error shows under it.
    const field = view.blocks.find((b) => typeof b.block_id === 'string' && b.block_id.startsWith('lang:'))?.block_id;
    await ack(field ? { response_action: 'errors', errors: { [field]: notRecordedText(ctx, body.user.id) } } : undefined);
  };
}
