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
  // Slack waits 3 s for the acknowledgement. The INSERT must reach the database within
  // STORE_DEADLINE_MS (or store nothing); the ack gives up a little later, when an INSERT
  // still on its way can no longer store anything — "not recorded" is then true.
  const deadline = new Date(Date.now() + STORE_DEADLINE_MS);
  let timer: NodeJS.Timeout | undefined;
  try {
    const stored = receive(ctx.app.db, { platform: 'slack', ...request }, ctx.app.clock.now(), deadline);
    stored.catch(() => undefined);
    const gaveUp = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the database did not take the request within ${ACK_GIVES_UP_MS} ms`)), ACK_GIVES_UP_MS);
    });
    const { duplicate } = await Promise.race([stored, gaveUp]);
    if (!duplicate) ctx.inbox.kick();
    return true;
  } catch (e) {
    ctx.logger.error({ err: e, request: request.deliveryKey }, 'could not store a Slack request; told the user nothing was recorded');
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/** How late (after the request arrived, by the database's clock) an INSERT may still store it. */
const STORE_DEADLINE_MS = 2_000;
/** When the acknowledgement stops waiting: past the deadline by more than any clock skew we expect, within Slack's 3 s. */
const ACK_GIVES_UP_MS = 2_500;

/** "Not recorded, try again", in the user's language when it is known without asking Slack. */
export function notRecordedText(ctx: SlackContext, userId: string | undefined, lang?: string): string {
  return ctx.i18n.t(ctx.i18n.pick(lang ?? (userId ? ctx.users.cachedLang(userId) : undefined)))('errors.not_recorded');
}
