import type { InboxRequest } from '../../outbox/inbox.ts';
import { receive } from '../../outbox/inbox.ts';
import type { SlackContext } from './slack-context.ts';

/** The inbox lane of a request: one person in one channel, whose requests keep their order. */
export function slackLane(channelId: string | undefined, userId: string | undefined): string {
  return `slack:${channelId ?? '-'}:${userId ?? '-'}`;
}

/**
 * Stores a verified Slack request before it is acknowledged, then wakes the processor.
 * False when the database could not take it: the caller's ack must then say that nothing
 * was recorded. A redelivery (same key) is stored once and acknowledged like the first.
 */
export async function storeRequest(ctx: SlackContext, request: Omit<InboxRequest, 'platform'>): Promise<boolean> {
  try {
    const { duplicate } = await receive(ctx.app.db, { platform: 'slack', ...request }, ctx.app.clock.now());
    if (!duplicate) ctx.inbox.kick();
    return true;
  } catch (e) {
    ctx.logger.error({ err: e, request: request.deliveryKey }, 'could not store a Slack request; told the user nothing was recorded');
    return false;
  }
}

/** "Not recorded, try again", in the user's language when it is known without asking Slack. */
export function notRecordedText(ctx: SlackContext, userId: string | undefined, lang?: string): string {
  return ctx.i18n.t(ctx.i18n.pick(lang ?? (userId ? ctx.users.cachedLang(userId) : undefined)))('errors.not_recorded');
}
