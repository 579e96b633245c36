import { eq } from 'drizzle-orm';
import type { Clock } from '../core/clock.ts';
import type { Db } from '../db/client.ts';
import * as t from '../db/schema.ts';

/** Where a keyed post goes. */
export interface KeyedPost {
  /** Unique per message: the stored request's delivery key and the message's place among its posts. */
  key: string;
  platform: string;
  channelId: string;
}

/**
 * Posts once per key: a post whose key was already sent returns the stored message id and
 * sends nothing, so a stored request processed again after a crash does not repeat what it
 * had posted. The id is written right after the platform answers; only a crash between
 * the two repeats a post (the platform offers no key of its own to prevent that).
 */
export async function postOnce(db: Db, clock: Clock, post: KeyedPost, send: () => Promise<string>): Promise<string> {
  const key = `${post.platform}:${post.key}`;
  const [sent] = await db.select({ messageId: t.sentMessage.messageId }).from(t.sentMessage).where(eq(t.sentMessage.key, key));
  if (sent) return sent.messageId;
  const messageId = await send();
  await db.insert(t.sentMessage).values({ key, platform: post.platform, channelId: post.channelId, messageId, sentAt: clock.now() }).onConflictDoNothing();
  return messageId;
}
