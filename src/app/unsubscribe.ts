import { and, eq, inArray } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import * as t from '../db/schema.ts';

/**
 * One-click unsubscribe (RFC 8058), by the token in the mail's `List-Unsubscribe` link:
 * the subscriber stops being confirmed and every delivery still queued for them is
 * skipped in the same transaction, so nothing more is sent after the click (a delivery
 * already in a worker's hands finishes). False when no subscriber holds the token.
 */
export async function unsubscribeByToken(db: Db, token: string, now: Date): Promise<boolean> {
  // Tokens are base64url; anything else holds no subscriber (and a NUL would make PostgreSQL refuse the query).
  if (!/^[A-Za-z0-9_-]{1,256}$/.test(token)) return false;
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(t.subscriber)
      .set({ confirmed: false, confirmToken: null, updatedAt: now })
      .where(eq(t.subscriber.unsubscribeToken, token))
      .returning({ id: t.subscriber.id });
    if (!row) return false;
    await tx
      .update(t.delivery)
      .set({ state: 'skipped', lastError: 'unsubscribed', nextAttemptAt: null })
      .where(and(eq(t.delivery.subscriberId, row.id), inArray(t.delivery.state, ['pending', 'failed'])));
    return true;
  });
}

/**
 * Disables a webhook endpoint that answered `410 Gone` (Standard Webhooks: the receiver asks
 * to be removed): unconfirmed, like an unsubscribe, so the worker skips its other queued
 * deliveries ("unsubscribed") while the one that got the 410 is reported as failed.
 */
export async function disableSubscriber(db: Db, id: string, now: Date): Promise<void> {
  await db.update(t.subscriber).set({ confirmed: false, updatedAt: now }).where(eq(t.subscriber.id, id));
}
