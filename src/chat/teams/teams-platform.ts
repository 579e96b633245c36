import type { Clock } from '../../core/clock.ts';
import type { Visibility } from '../../core/model.ts';
import type { Db, Tx } from '../../db/client.ts';
import { findIncidentIdByNumber } from '../../db/incident-repository.ts';
import type { Logger } from '../../logger.ts';
import type { NeutralMessage } from '../message.ts';
import type { ChatPlatform, OpenedChannel, PostOptions } from '../platform.ts';
import { createHash } from 'node:crypto';
import { eq } from 'drizzle-orm';
import * as t from '../../db/schema.ts';
import { TerminalDeliveryError } from '../../publish/channel.ts';
import { messageActivity } from './cards.ts';
import { type ConversationParts, findConversation, findIncidentConversation, locationOf, partsOf, rowIdOf, type TeamsConversation } from './conversation-store.ts';
import { queueEdit, queueIncidentConversation, queueIncidentHeader, queueMessage, type TurnPosts } from './teams-outbox.ts';

export interface TeamsPlatformDeps {
  db: Db;
  clock: Clock;
  newId: () => string;
  logger: Logger;
  /** `TEAMS_TEAM_ID` when Graph is configured: incident channels are created there. */
  graphTeamId?: string | undefined;
  /** INCIDENTS_CHANNEL: a Teams channel id (`19:…@thread.tacv2`). */
  incidentsChannel?: string | undefined;
  /** The conversation the current command came from, when there is one. */
  origin?: ConversationParts | undefined;
  /** Told after something was queued (the worker's kick). A turn's platform has none: the part kicks once the turn is answered. */
  onQueued?: (() => void) | undefined;
  /** A turn's posts, queued once it has answered (see TurnPosts); without it each post is queued at once. */
  turnPosts?: TurnPosts | undefined;
  /** How long a publishing delivery waits for its queued post to be sent before it is retried later. */
  deliveryWaitMs?: number | undefined;
}

const DELIVERY_WAIT_MS = 30_000;

/** A stable uuid for a key (the first 16 bytes of its SHA-256, shaped as a version-8 uuid). */
function idOfKey(key: string): string {
  const h = createHash('sha256').update(key).digest();
  h[6] = (h[6]! & 0x0f) | 0x80;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Resolves once the queued message was sent; throws TerminalDeliveryError once Teams refused it for good, a plain (retryable) error after `waitMs`. */
async function waitUntilSent(db: Db, id: string, waitMs: number): Promise<void> {
  const m = t.teamsMessage;
  const until = Date.now() + waitMs;
  for (let pause = 20; ; pause = Math.min(pause * 2, 500)) {
    const [row] = await db.select({ version: m.version, sentVersion: m.sentVersion, failedAt: m.failedAt, lastError: m.lastError }).from(m).where(eq(m.id, id));
    if (!row) throw new TerminalDeliveryError('the queued Teams message is gone');
    if (row.failedAt) throw new TerminalDeliveryError(`Teams refused the message: ${row.lastError ?? 'unknown error'}`);
    if (row.sentVersion >= row.version) return;
    if (Date.now() >= until) throw new Error(`the Teams message was not sent within ${Math.round(waitMs / 1000)} s (queued; it is sent when Teams answers)`);
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
}

/**
 * ChatPlatform for Microsoft Teams. Nothing is sent from here: every method writes to the
 * Teams outbox (`teams-outbox.ts`) and returns, and the Teams worker sends proactively with
 * the stored conversation reference — so a command's turn answers within Teams' limit, and a
 * message survives a restart or a throttled connector. Message ids are queue handles: `update`
 * and `upsertHeader` take them back.
 */
export class TeamsPlatform implements ChatPlatform {
  readonly platform = 'teams' as const;

  constructor(private readonly deps: TeamsPlatformDeps) {}

  /** Plans the incident's channel or thread; the worker makes it, its root post being the header. */
  async openIncidentChannel(input: { number: number; title: string; slug: string; topic: string; visibility?: Visibility }): Promise<OpenedChannel> {
    const { db, clock, newId, graphTeamId } = this.deps;
    const incidentId = await findIncidentIdByNumber(db, input.number);
    if (!incidentId) throw new Error(`no incident ${input.number}`);
    let row = await findIncidentConversation(db, incidentId);
    if (!row) {
      // Without Graph the incident gets a thread in the conversation it was declared in; declared
      // by no one there (an upstream import), in the incidents channel once the bot has heard
      // from it. A private incident stays in the conversation it was declared in: never a team
      // channel everyone in the team can read, nor a thread in the incidents channel.
      const isPrivate = input.visibility === 'private';
      const incidents = graphTeamId || isPrivate || this.deps.origin ? undefined : (await this.incidentsChannel()).parts;
      const origin = isPrivate ? this.deps.origin : (this.deps.origin ?? incidents ?? (await this.incidentsChannel()).parts);
      if (!origin) throw new Error('no Teams conversation to open the incident channel from');
      const teamId = isPrivate ? undefined : graphTeamId;
      row = await db.transaction((tx) => queueIncidentConversation(tx, { id: newId(), incidentId, origin, graphTeamId: teamId, at: clock.now() }));
      this.deps.onQueued?.();
    }
    return { channelId: locationOf(row), ...(row.teamId ? { teamId: row.teamId } : {}) };
  }

  async post(channelId: string, message: NeutralMessage, options: PostOptions = {}): Promise<string> {
    // A location names its row: queued without reading it first (a row that is not there fails the insert).
    const rowId = rowIdOf(channelId) ?? (await this.conversation(channelId)).id;
    return this.queueOrDeliver(rowId, message, options);
  }

  /**
   * Queues a post. A publishing delivery's post is named by the delivery (a retried delivery
   * finds it instead of posting twice) and awaited: the delivery counts only once Teams has the
   * message, and a message Teams refused for good fails it for good (the fan-out summary lists it).
   */
  private async queueOrDeliver(conversationRowId: string, message: NeutralMessage, options: PostOptions): Promise<string> {
    const at = this.deps.clock.now();
    const activity = messageActivity(message);
    if (!options.delivery && this.deps.turnPosts) return this.deps.turnPosts.add({ id: this.deps.newId(), conversationRowId, activity, at });
    if (!options.delivery) return this.queue((tx) => queueMessage(tx, { id: this.deps.newId(), conversationRowId, activity, at }));
    const id = idOfKey(`teams:delivery:${options.delivery.key}:${conversationRowId}`);
    await this.queue((tx) => queueMessage(tx, { id, conversationRowId, activity, at, once: true }));
    await waitUntilSent(this.deps.db, id, this.deps.deliveryWaitMs ?? DELIVERY_WAIT_MS);
    return id;
  }

  async update(channelId: string, messageId: string, message: NeutralMessage): Promise<void> {
    const row = await this.conversation(channelId);
    await this.queue((tx) => queueEdit(tx, { id: this.deps.newId(), conversationRowId: row.id, messageId, activity: messageActivity(message), at: this.deps.clock.now() }));
  }

  /**
   * An incident's header is re-rendered from the database when it is sent, so the newest state
   * wins whatever order changes are queued in; it is edited in place by its stored activity id.
   * Returns that id once Teams has it.
   */
  async upsertHeader(channelId: string, messageId: string | undefined, message: NeutralMessage): Promise<string> {
    const row = await this.conversation(channelId);
    const incidentId = row.purpose === 'incident' ? row.incidentId : null;
    if (incidentId) {
      await this.queue((tx) => queueIncidentHeader(tx, incidentId, this.deps.clock.now()));
      return row.headerActivityId ?? `${locationOf(row)}#header`;
    }
    if (messageId) {
      await this.update(channelId, messageId, message);
      return messageId;
    }
    return this.post(channelId, message);
  }

  async announce(message: NeutralMessage, options: PostOptions = {}): Promise<void> {
    const { row } = await this.incidentsChannel();
    if (!row) {
      if (this.deps.incidentsChannel) this.deps.logger.debug({ channel: this.deps.incidentsChannel }, 'incidents channel not seen yet: announcement skipped');
      return;
    }
    await this.queueOrDeliver(row.id, message, options);
  }

  private async queue<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    const result = await this.deps.db.transaction(work);
    this.deps.onQueued?.();
    return result;
  }

  private async incidentsChannel(): Promise<{ row?: TeamsConversation; parts?: ConversationParts }> {
    const channel = this.deps.incidentsChannel;
    const row = channel ? await findConversation(this.deps.db, channel, this.deps.clock.now(), this.deps.newId) : undefined;
    const parts = row && partsOf(row);
    return { ...(row ? { row } : {}), ...(parts ? { parts } : {}) };
  }

  private async conversation(channelId: string): Promise<TeamsConversation> {
    const row = await findConversation(this.deps.db, channelId, this.deps.clock.now(), this.deps.newId);
    if (!row) throw new Error(`no Teams conversation reference for ${channelId}`);
    return row;
  }
}
