import type { AllMiddlewareArgs, SlackEventMiddlewareArgs } from '@slack/bolt';
import { slackLane, storeRequest } from '../store-request.ts';
import type { SlackContext } from '../slack-context.ts';

/**
 * `@tsuiki update …` in a channel: stored under the event's id (Slack redelivers an event it
 * thinks was lost with the same event_id). HTTP answers once this returns; when the row
 * could not be stored the request fails, and Slack delivers the event again later.
 */
export function appMention(ctx: SlackContext) {
  return async ({ body }: SlackEventMiddlewareArgs<'app_mention'> & AllMiddlewareArgs): Promise<void> => {
    if (!(await storeAppMention(ctx, body as unknown as Record<string, unknown>))) throw new Error('could not store the event; Slack will deliver it again');
  };
}

/** Stores an Events API envelope carrying an `app_mention` (other events: nothing to store); false when the database could not take it. */
export async function storeAppMention(ctx: SlackContext, body: Record<string, unknown>): Promise<boolean> {
  const event = body.event as { type?: string; user?: string; channel?: string } | undefined;
  if (event?.type !== 'app_mention' || !event.user || typeof body.event_id !== 'string') return true;
  return storeRequest(ctx, {
    kind: 'app_mention',
    deliveryKey: `slack:event:${body.event_id}`,
    lane: slackLane(event.channel, event.user),
    payload: body,
  });
}
