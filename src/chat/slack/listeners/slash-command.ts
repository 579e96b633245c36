import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { notRecordedText, slackLane, storeRequest } from '../store-request.ts';
import type { SlackContext } from '../slack-context.ts';

/** `/incident …`: stored, then acknowledged; processed from the stored row (`handlers/command.ts`). */
export function slashCommand(ctx: SlackContext) {
  return async ({ command, ack }: SlackCommandMiddlewareArgs & AllMiddlewareArgs): Promise<void> => {
    const stored = await storeRequest(ctx, {
      kind: 'command',
      // A retried delivery carries the same trigger_id: it is stored once.
      deliveryKey: `slack:trigger:${command.trigger_id}`,
      lane: slackLane(command.channel_id, command.user_id),
      payload: command as unknown as Record<string, unknown>,
    });
    if (stored) await ack();
    else await ack({ response_type: 'ephemeral', text: notRecordedText(ctx, command.user_id) });
  };
}
