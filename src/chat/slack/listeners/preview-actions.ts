import type { AllMiddlewareArgs, BlockAction, ButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { notRecordedText, slackLane, storeRequest } from '../store-request.ts';
import type { SlackContext } from '../slack-context.ts';
import { respondTo } from '../respond.ts';

/** The buttons of a public-update preview, as the renderer names them, and Resolve on an alert's resolution proposal. */
export const PREVIEW_ACTIONS = /^(publish_update|edit_translation|cancel_update|retry_translation|resolve_incident)$/;

/** Publish / Edit translation / Cancel / Retry on a preview: stored, then acknowledged (`handlers/preview-action.ts`). */
export function previewAction(ctx: SlackContext) {
  return async ({ body, ack }: SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs): Promise<void> => {
    const channelId = body.channel?.id ?? body.container?.channel_id;
    const stored = await storeRequest(ctx, {
      kind: 'preview_action',
      deliveryKey: `slack:trigger:${body.trigger_id}`,
      lane: slackLane(channelId, body.user.id),
      payload: body as unknown as Record<string, unknown>,
    });
    await ack();
    // A button's ack carries no text: the user hears it through the response_url, after the ack.
    if (!stored && body.response_url) {
      void respondTo(body.response_url, ctx.logger)({ response_type: 'ephemeral', replace_original: false, text: notRecordedText(ctx, body.user.id) }).catch(
        (e: unknown) => ctx.logger.warn({ err: e }, 'could not tell the user nothing was recorded'),
      );
    }
  };
}
