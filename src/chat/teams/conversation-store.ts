import { and, eq } from 'drizzle-orm';
import type { ConversationReference } from 'botbuilder';
import type { Executor } from '../../db/client.ts';
import * as t from '../../db/schema.ts';

/**
 * Teams conversation ids: a channel is `19:…@thread.tacv2`, a thread in it is the channel id
 * plus `;messageid=<root>`. Chats (personal, group) have ids of their own and no threads.
 */
export function channelOf(conversationId: string): string {
  return conversationId.split(';')[0]!;
}

/** The stored ConversationReference of a Teams channel, thread or chat tsuiki posts to. */
export async function findConversationRef(db: Executor, channelId: string): Promise<Partial<ConversationReference> | undefined> {
  const [row] = await db
    .select({ ref: t.chatRef.conversationRef })
    .from(t.chatRef)
    .where(and(eq(t.chatRef.platform, 'teams'), eq(t.chatRef.channelId, channelId)));
  return (row?.ref as Partial<ConversationReference> | null) ?? undefined;
}

/** Whether a chat_ref row already names this channel (any purpose). */
export async function hasChatRef(db: Executor, channelId: string): Promise<boolean> {
  const [row] = await db
    .select({ id: t.chatRef.id })
    .from(t.chatRef)
    .where(and(eq(t.chatRef.platform, 'teams'), eq(t.chatRef.channelId, channelId)));
  return Boolean(row);
}

/**
 * The channel id a command is filed under: the thread itself when it is an incident's
 * thread, otherwise the channel it is in (a Graph-created incident channel owns every thread).
 */
export async function resolveChannelId(db: Executor, conversationId: string): Promise<string> {
  if (await hasChatRef(db, conversationId)) return conversationId;
  return channelOf(conversationId);
}

/**
 * Records the incidents channel (INCIDENTS_CHANNEL) the first time the bot hears from it, so
 * announcements can be sent there proactively later; the reference targets the channel, so
 * each announcement is a new post.
 */
export async function rememberIncidentsChannel(
  db: Executor,
  row: { id: string; channelId: string; teamId?: string | undefined; ref: Partial<ConversationReference>; at: Date },
): Promise<void> {
  await db
    .insert(t.chatRef)
    .values({
      id: row.id,
      incidentId: null,
      platform: 'teams',
      purpose: 'incidents',
      channelId: row.channelId,
      teamId: row.teamId ?? null,
      conversationRef: row.ref as Record<string, unknown>,
      createdAt: row.at,
    })
    .onConflictDoUpdate({ target: [t.chatRef.platform, t.chatRef.channelId], set: { conversationRef: row.ref as Record<string, unknown> }, setWhere: eq(t.chatRef.purpose, 'incidents') });
}
