import { and, eq, sql } from 'drizzle-orm';
import { type Executor, rowsOf } from '../../db/client.ts';
import * as t from '../../db/schema.ts';

/** A row of `teams_conversation`: one Teams conversation tsuiki posts into from its queue. */
export type TeamsConversation = typeof t.teamsConversation.$inferSelect;

/**
 * What tsuiki keeps of a Bot Framework ConversationReference to reach a conversation without a
 * turn: the connector's service URL, the tenant, the bot's own account, and where it is (team,
 * channel, conversation). Plain data, so no SDK type leaks into the database.
 */
export interface ConversationParts {
  serviceUrl: string;
  tenantId?: string | undefined;
  botId: string;
  botName?: string | undefined;
  teamId?: string | undefined;
  /** The Teams channel (`19:…@thread.tacv2`); absent in personal and group chats. */
  channelId?: string | undefined;
  conversationId: string;
}

/**
 * Teams conversation ids: a channel is `19:…@thread.tacv2`, a thread in it is the channel id
 * plus `;messageid=<root>`. Chats (personal, group) have ids of their own and no threads.
 */
export function channelOf(conversationId: string): string {
  return conversationId.split(';')[0]!;
}

const LOCATION = 'tsuiki:';

/**
 * The channel id the rest of tsuiki (chat_ref, the dispatcher) knows an incident's Teams place
 * by. It exists from the moment the incident is declared, before Teams has made the Graph
 * channel or the thread, so it names the row rather than a Teams id.
 */
export function locationOf(row: Pick<TeamsConversation, 'id'>): string {
  return `${LOCATION}${row.id}`;
}

/** The row a location names; undefined for any other channel id. */
export function rowIdOf(channelId: string): string | undefined {
  return channelId.startsWith(LOCATION) ? channelId.slice(LOCATION.length) : undefined;
}

export async function findConversationRow(db: Executor, id: string): Promise<TeamsConversation | undefined> {
  const [row] = await db.select().from(t.teamsConversation).where(eq(t.teamsConversation.id, id));
  return row;
}

export async function findIncidentConversation(db: Executor, incidentId: string): Promise<TeamsConversation | undefined> {
  const [row] = await db.select().from(t.teamsConversation).where(eq(t.teamsConversation.incidentId, incidentId));
  return row;
}

/** The conversation with this Teams conversation id (a thread, a channel or a chat). */
export async function findByConversationId(db: Executor, conversationId: string): Promise<TeamsConversation | undefined> {
  const [row] = await db.select().from(t.teamsConversation).where(eq(t.teamsConversation.conversationId, conversationId));
  return row;
}

/**
 * The conversation a ChatPlatform channel id names: an incident's location, or a Teams
 * conversation id tsuiki has a reference for (the incidents channel). References stored by
 * earlier versions in `chat_ref.conversation_ref` are adopted into `teams_conversation`.
 */
export async function findConversation(db: Executor, channelId: string, at: Date, newId: () => string): Promise<TeamsConversation | undefined> {
  const rowId = rowIdOf(channelId);
  if (rowId) return findConversationRow(db, rowId);
  const known = await findByConversationId(db, channelId);
  if (known) return known;
  const [legacy] = await db
    .select({ ref: t.chatRef.conversationRef, teamId: t.chatRef.teamId })
    .from(t.chatRef)
    .where(and(eq(t.chatRef.platform, 'teams'), eq(t.chatRef.channelId, channelId)));
  const parts = legacy?.ref ? partsOfReference(legacy.ref as Record<string, unknown>) : undefined;
  if (!parts) return undefined;
  const [row] = await db
    .insert(t.teamsConversation)
    .values({ ...rowValues(parts, { ...(legacy?.teamId ? { teamId: legacy.teamId } : {}) }), id: newId(), purpose: 'channel', state: 'open', createdAt: at, updatedAt: at })
    .onConflictDoNothing()
    .returning();
  return row ?? findByConversationId(db, parts.conversationId);
}

/** A stored ConversationReference (JSON) as parts; undefined when it lacks what the connector needs. */
export function partsOfReference(ref: Record<string, unknown>): ConversationParts | undefined {
  const r = ref as {
    serviceUrl?: string;
    conversation?: { id?: string; tenantId?: string; conversationType?: string };
    bot?: { id?: string; name?: string };
    channelData?: { channel?: { id?: string }; team?: { id?: string }; tenant?: { id?: string } };
  };
  if (!r.serviceUrl || !r.conversation?.id || !r.bot?.id) return undefined;
  const conversationId = r.conversation.id;
  const isChannel = r.conversation.conversationType === 'channel' || /@thread\.(tacv2|skype)/.test(conversationId);
  const inChannel = r.channelData?.channel?.id ?? (isChannel ? channelOf(conversationId) : undefined);
  return {
    serviceUrl: r.serviceUrl,
    tenantId: r.conversation.tenantId ?? r.channelData?.tenant?.id,
    botId: r.bot.id,
    botName: r.bot.name,
    teamId: r.channelData?.team?.id,
    channelId: inChannel,
    conversationId,
  };
}

/** The reference columns of a row, from parts. */
export function rowValues(parts: ConversationParts, overrides: Partial<ConversationParts> = {}) {
  const p = { ...parts, ...overrides };
  return {
    serviceUrl: p.serviceUrl,
    tenantId: p.tenantId ?? null,
    botId: p.botId,
    botName: p.botName ?? null,
    teamId: p.teamId ?? null,
    channelId: p.channelId ?? null,
    conversationId: p.conversationId,
  };
}

/** A row's reference as parts (the conversation id may still be unknown while it opens). */
export function partsOf(row: TeamsConversation): ConversationParts | undefined {
  if (!row.conversationId) return undefined;
  return {
    serviceUrl: row.serviceUrl,
    tenantId: row.tenantId ?? undefined,
    botId: row.botId,
    botName: row.botName ?? undefined,
    teamId: row.teamId ?? undefined,
    channelId: row.channelId ?? undefined,
    conversationId: row.conversationId,
  };
}

/**
 * The channel id a command is filed under: an incident's location when it was said in the
 * incident's thread or chat, or anywhere in a channel tsuiki created for it; otherwise the
 * channel it was said in (a thread of an ordinary channel is that channel).
 */
export async function resolveChannelId(db: Executor, conversationId: string): Promise<string> {
  const c = t.teamsConversation;
  const r = t.chatRef;
  // One round trip on every command: the incident's place, else whether a legacy reference names this conversation.
  const [row] = rowsOf<{ id: string | null; legacy: boolean }>(
    await db.execute(sql`select
      (select ${c.id} from ${c} where ${c.purpose} = 'incident'
        and (${c.conversationId} = ${conversationId} or (${c.ownsChannel} and ${c.channelId} = ${channelOf(conversationId)})) limit 1) as id,
      exists (select 1 from ${r} where ${r.platform} = 'teams' and ${r.channelId} = ${conversationId}) as legacy`),
  );
  if (row?.id) return locationOf({ id: row.id });
  // Incidents opened before teams_conversation existed are filed under their thread or chat id.
  return row?.legacy ? conversationId : channelOf(conversationId);
}

/**
 * Records the incidents channel (INCIDENTS_CHANNEL) the first time the bot hears from it, so
 * announcements can be sent there later without a turn; posts to the channel itself start a
 * new thread each.
 */
export async function rememberIncidentsChannel(db: Executor, row: { id: string; parts: ConversationParts; at: Date }): Promise<void> {
  const values = rowValues(row.parts);
  await db
    .insert(t.teamsConversation)
    .values({ ...values, id: row.id, purpose: 'incidents', state: 'open', createdAt: row.at, updatedAt: row.at })
    .onConflictDoUpdate({
      target: t.teamsConversation.conversationId,
      set: { serviceUrl: values.serviceUrl, tenantId: values.tenantId, botId: values.botId, botName: values.botName, teamId: values.teamId, updatedAt: row.at },
      setWhere: sql`${t.teamsConversation.purpose} <> 'incident'`,
    });
}
