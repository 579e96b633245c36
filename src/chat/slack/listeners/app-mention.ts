import type { AllMiddlewareArgs, SlackEventMiddlewareArgs } from '@slack/bolt';
import { slackLane, storeRequest } from '../store-request.ts';
import type { SlackContext } from '../slack-context.ts';

/**
 * `@tsuiki update …` in a channel: stored under the event's id (Slack redelivers an event it
 * thinks was lost with the same event_id). HTTP answers once this returns; when the row
 * could not be stored the request fails, and Slack delivers the event again later.
 */
export function appMention(ctx: SlackContext) {
  return async ({ event, body }: SlackEventMiddlewareArgs<'app_mention'> & AllMiddlewareArgs): Promise<void> => {
    if (!event.user) return;
    const stored = await storeRequest(ctx, {
      kind: 'app_mention',
      deliveryKey: `slack:event:${body.event_id}`,
      lane: slackLane(event.channel, event.user),
      payload: body as unknown as Record<string, unknown>,
    });
    if (!stored) throw new Error('could not store the event; Slack will deliver it again');
  };
}
