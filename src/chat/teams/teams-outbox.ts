import { and, eq, sql } from 'drizzle-orm';
import type { Db, Executor } from '../../db/client.ts';
import * as t from '../../db/schema.ts';
import { z } from 'zod';
import { defineJob, enqueueJob } from '../../outbox/job-runner.ts';
import { type ConversationParts, findByConversationId, findIncidentConversation, rowValues, type TeamsConversation } from './conversation-store.ts';

/**
 * The Teams side of the outbox: everything tsuiki says in Teams outside the invoker's answer
 * (incident channels and threads, live headers, results, previews, announcements, reminders,
 * delivery reports) is written here, in the caller's transaction where it has one, and sent
 * later by the Teams worker (`teams-worker.ts`). Nothing here talks to Teams.
 */

/** Sends a conversation's queue: one job per conversation, so its messages keep their order. */
// Kicked by the turn (or platform call) that queued it, once it is done: a turn's header
// edits go out as one edit, where a notification at each commit would send one per write.
export const TEAMS_FLUSH = defineJob({ name: 'teams.flush', version: 1, payload: z.object({ conversation: z.uuid() }), wake: 'kick' });

const flushKey = (conversationRowId: string) => `teams:${conversationRowId}`;

/**
 * A preview's machine translation, after the turn that showed it has answered: the worker
 * translates (translatePublicUpdate, retried with backoff while the translator fails) and edits
 * the preview where it was shown — a queued post by its handle, or the turn's own reply by its
 * activity id.
 */
export const TEAMS_PREVIEW_TRANSLATION = defineJob({
  name: 'teams.preview_translation',
  version: 1,
  payload: z.object({
    updateId: z.uuid(),
    lang: z.string().min(1),
    target: z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('queued'), conversation: z.uuid(), messageId: z.string().min(1) }),
      z.object({ kind: z.literal('reply'), serviceUrl: z.string().min(1), conversationId: z.string().min(1), activityId: z.string().min(1) }),
    ]),
  }),
  backoff: { baseMs: 2_000, maxMs: 10 * 60_000, maxAttempts: 20 },
  wake: 'kick',
});
export type PreviewTranslation = z.output<typeof TEAMS_PREVIEW_TRANSLATION.payload>;

/** Asks for a preview's translation after the turn; one job per preview shown. */
export async function queuePreviewTranslation(tx: Executor, payload: PreviewTranslation, at: Date): Promise<void> {
  const where = payload.target.kind === 'queued' ? payload.target.messageId : payload.target.activityId;
  await enqueueJob(tx, TEAMS_PREVIEW_TRANSLATION, payload, { key: `teams-preview:${payload.updateId}:${where}`, runAt: at });
}

/** (Re-)arms the conversation's send job; scheduling a running one makes it run again once done. */
export async function scheduleFlush(tx: Executor, conversationRowId: string, at: Date): Promise<void> {
  await enqueueJob(tx, TEAMS_FLUSH, { conversation: conversationRowId }, { key: flushKey(conversationRowId), runAt: at });
}

/** A personal or group chat already hosting an incident: it has no threads to give a second one. */
export class ChatTakenError extends Error {
  constructor(conversationId: string) {
    super(`the chat ${conversationId} already hosts an incident; declare in a team channel or configure TEAMS_TEAM_ID`);
    this.name = 'ChatTakenError';
  }
}

/**
 * The incident's Teams place, planned now and made by the worker: with Graph, a new channel in
 * the team (`TEAMS_TEAM_ID`) and a thread there; said in a channel, a new thread in it; in a
 * chat, the chat itself (opened at once: it exists). Its header is owed from the start. Returns
 * the existing row when the incident has one (a retried declare).
 */
export async function queueIncidentConversation(
  tx: Executor,
  input: { id: string; incidentId: string; origin: ConversationParts; graphTeamId?: string | undefined; at: Date },
): Promise<TeamsConversation> {
  const existing = await findIncidentConversation(tx, input.incidentId);
  if (existing) return existing;
  const { origin, at } = input;
  const base = { id: input.id, incidentId: input.incidentId, purpose: 'incident', headerVersion: 1, createdAt: at, updatedAt: at };
  let values: typeof t.teamsConversation.$inferInsert;
  if (input.graphTeamId) {
    values = { ...base, ...rowValues(origin), state: 'opening', conversationId: null, channelId: null, teamId: input.graphTeamId, ownsChannel: true };
  } else if (origin.channelId) {
    values = { ...base, ...rowValues(origin), state: 'opening', conversationId: null };
  } else {
    if (await findByConversationId(tx, origin.conversationId)) throw new ChatTakenError(origin.conversationId);
    values = { ...base, ...rowValues(origin), state: 'open' };
  }
  // Two declares racing in one chat, or one retried: the second insert does nothing.
  const [row] = await tx.insert(t.teamsConversation).values(values).onConflictDoNothing().returning();
  if (!row) {
    const winner = await findIncidentConversation(tx, input.incidentId);
    if (winner) return winner;
    throw new ChatTakenError(origin.conversationId);
  }
  await scheduleFlush(tx, row.id, at);
  return row;
}

/** Marks the incident's live header as owed a re-render; no-op when it has no Teams place. */
export async function queueIncidentHeader(tx: Executor, incidentId: string, at: Date): Promise<TeamsConversation | undefined> {
  const c = t.teamsConversation;
  const [row] = await tx
    .update(c)
    .set({ headerVersion: sql`${c.headerVersion} + 1`, updatedAt: at })
    .where(and(eq(c.incidentId, incidentId), eq(c.purpose, 'incident')))
    .returning();
  if (row) await scheduleFlush(tx, row.id, at);
  return row;
}

/** A new post in the conversation; its id is the message's handle for later edits. */
export async function queueMessage(tx: Executor, input: { id: string; conversationRowId: string; activity: Record<string, unknown>; at: Date; once?: boolean }): Promise<string> {
  // `once`: the id names the post for good (a publishing delivery's); queued again, it is not posted twice.
  const insert = tx.insert(t.teamsMessage).values({ id: input.id, conversationId: input.conversationRowId, activity: input.activity, createdAt: input.at, updatedAt: input.at });
  // Sent together, in this order (one round trip on PostgreSQL); a failed insert fails the transaction.
  const inserted = input.once ? insert.onConflictDoNothing().execute() : insert.execute();
  await Promise.all([inserted, scheduleFlush(tx, input.conversationRowId, input.at)]);
  return input.id;
}

/**
 * An edit of a post: `messageId` is a handle `queueMessage` returned (not sent yet: the edit is
 * what gets posted) or the activity id of a post made before the queue existed.
 */
export async function queueEdit(tx: Executor, input: { id: string; conversationRowId: string; messageId: string; activity: Record<string, unknown>; at: Date }): Promise<void> {
  const m = t.teamsMessage;
  const isHandle = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(input.messageId);
  const edited = isHandle
    ? await tx
        .update(m)
        .set({ activity: input.activity, version: sql`${m.version} + 1`, failedAt: null, lastError: null, updatedAt: input.at })
        .where(and(eq(m.id, input.messageId), eq(m.conversationId, input.conversationRowId)))
        .returning({ id: m.id })
    : [];
  if (edited.length === 0) {
    await tx
      .insert(m)
      .values({ id: input.id, conversationId: input.conversationRowId, activity: input.activity, activityId: input.messageId, createdAt: input.at, updatedAt: input.at });
  }
  await scheduleFlush(tx, input.conversationRowId, input.at);
}

/**
 * The posts a turn makes outside its own conversation (a command's result and preview in the
 * incident's place), held until the turn has answered and then queued in one transaction: the
 * invoker waits for the command's write and the reply, not for a second commit. Each post's id
 * is its handle from the start, so the turn can name it (a preview's translation edits it).
 */
export class TurnPosts {
  private readonly posts: { id: string; conversationRowId: string; activity: Record<string, unknown>; at: Date }[] = [];

  add(post: { id: string; conversationRowId: string; activity: Record<string, unknown>; at: Date }): string {
    this.posts.push(post);
    return post.id;
  }

  get size(): number {
    return this.posts.length;
  }

  /** Queues the posts held, in the order they were made; nothing when there are none. */
  async queue(db: Db): Promise<void> {
    if (this.posts.length === 0) return;
    const posts = this.posts.splice(0);
    await db.transaction(async (tx) => {
      for (const post of posts) await queueMessage(tx, post);
    });
  }
}
