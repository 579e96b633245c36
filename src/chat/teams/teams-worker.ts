import { and, asc, eq, gt, isNull, lte, or, sql } from 'drizzle-orm';
import type { AppContext } from '../../app/context.ts';
import { incidentSlug, type IncidentSnapshot } from '../../core/incident.ts';
import { formatIncidentRef } from '../../core/model.ts';
import { loadPublicUpdate, loadSnapshot } from '../../db/incident-repository.ts';
import * as t from '../../db/schema.ts';
import type { I18n } from '../../i18n.ts';
import type { Logger } from '../../logger.ts';
import { type BackoffPolicy, DEFAULT_BACKOFF, retryDelay } from '../../outbox/backoff.ts';
import type { JobRunner } from '../../outbox/job-runner.ts';
import { PROCESS_WORKER_ID } from '../../outbox/liveness.ts';
import { teamRenderContext } from '../incident-channel.ts';
import { renderHeader, renderPreview } from '../render.ts';
import { translatePublicUpdate } from '../../app/translate-public-update.ts';
import { messageActivity } from './cards.ts';
import { ConnectorError, type TeamsConnector } from './connector-client.ts';
import { findConversationRow, locationOf, type TeamsConversation } from './conversation-store.ts';
import { GraphError, type GraphClient } from './graph-client.ts';
import { type PreviewTranslation, queueEdit, scheduleFlush, TEAMS_FLUSH, TEAMS_PREVIEW_TRANSLATION } from './teams-outbox.ts';

export interface TeamsWorkerDeps {
  app: AppContext;
  i18n: I18n;
  connector: TeamsConnector;
  /** Graph channel creation (`TEAMS_TEAM_ID`); rows planned with Graph fail without it. */
  graph?: { client: GraphClient; teamId: string } | undefined;
  logger: Logger;
  /** The process's job runner: the send job runs there, beside every other job. */
  jobs: JobRunner;
  /** How long one process holds a conversation while it sends there. */
  leaseMs?: number;
  backoff?: BackoffPolicy;
  random?: () => number;
}

/** The Teams sender: the send job on the process's job runner, kicked after every turn so posts go out at once. */
export interface TeamsWorker {
  start(): void;
  stop(): Promise<void>;
  /** Sends what is due now, in the background (after a turn, or when a platform call queued something). */
  kick(): void;
  /** Sends everything due now and resolves when nothing is left (tests, shutdown). */
  drain(): Promise<void>;
}

const MESSAGES_PER_RUN = 100;
/** A run sends up to MESSAGES_PER_RUN messages, each bounded by the connector's timeout. */
const LEASE_MS = 5 * 60_000;

/**
 * Not now: another process is sending in this conversation, or a failure there asked for a
 * pause. `retryAfterMs` is when to come back (the job queue's floor for the next run).
 */
class SendLaterError extends Error {
  constructor(
    message: string,
    readonly retryAfterMs: number,
  ) {
    super(message);
    this.name = 'SendLaterError';
  }
}

/** Whether Teams (or Graph) will refuse the same request again: then it is given up, not retried. */
function isTerminal(e: unknown): boolean {
  if (e instanceof ConnectorError) return !e.retryable;
  if (e instanceof GraphError) return !(e.status === 408 || e.status === 429 || e.status >= 500);
  return false;
}

export function createTeamsWorker(deps: TeamsWorkerDeps): TeamsWorker {
  const { jobs } = deps;
  jobs.register(TEAMS_FLUSH, (payload, job) => flush(deps, payload.conversation, job.attempt));
  jobs.register(TEAMS_PREVIEW_TRANSLATION, (payload) => translatePreview(deps, payload));
  return {
    start: () => jobs.start(),
    stop: () => jobs.stop(),
    kick: () => jobs.kick(),
    drain: () => jobs.drain(),
  };
}

/**
 * The send job: takes the conversation's lease, opens it if it is new, sends its header and
 * queue in order. A failure that may pass holds the whole conversation until `retryAt` — the
 * connector's Retry-After, or backoff — so messages queued meanwhile (which re-arm the job)
 * do not send into a throttled connector before it asked.
 */
async function flush(deps: TeamsWorkerDeps, rowId: string, attempt: number): Promise<void> {
  const { app } = deps;
  const c = t.teamsConversation;
  const now = app.clock.now();
  const [row] = await app.db
    .update(c)
    .set({ leasedUntil: new Date(now.getTime() + (deps.leaseMs ?? LEASE_MS)), claimedBy: PROCESS_WORKER_ID })
    .where(and(eq(c.id, rowId), or(isNull(c.leasedUntil), lte(c.leasedUntil, now)), or(isNull(c.retryAt), lte(c.retryAt, now))))
    .returning();
  if (!row) {
    const current = await findConversationRow(app.db, rowId);
    if (!current) return;
    if (current.retryAt && current.retryAt > now) throw new SendLaterError(`teams conversation ${rowId} waits until ${current.retryAt.toISOString()}`, current.retryAt.getTime() - now.getTime());
    throw new SendLaterError(`teams conversation ${rowId} is being sent by another worker`, 1_000);
  }
  try {
    await send(deps, row);
  } catch (e) {
    const waitMs = Math.max(retryAfterOf(e), retryDelay(Math.max(1, attempt), deps.backoff ?? DEFAULT_BACKOFF, undefined, deps.random));
    const message = e instanceof Error ? e.message : String(e);
    await app.db
      .update(c)
      .set({ leasedUntil: null, claimedBy: null, retryAt: new Date(app.clock.now().getTime() + waitMs), lastError: message })
      .where(eq(c.id, rowId));
    throw new SendLaterError(message, waitMs);
  }
  await app.db.update(c).set({ leasedUntil: null, claimedBy: null, retryAt: null, lastError: null }).where(eq(c.id, rowId));
}

function retryAfterOf(e: unknown): number {
  const value = (e as { retryAfterMs?: unknown } | null)?.retryAfterMs;
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

async function send(deps: TeamsWorkerDeps, leased: TeamsConversation): Promise<void> {
  const { app } = deps;
  let row: TeamsConversation | undefined = leased;
  if (row.state === 'failed') return;
  if (row.state === 'opening') row = await openConversation(deps, row);
  if (!row) return;
  if (!row.conversationId) {
    await fail(deps, row, 'the conversation has no Teams id');
    return;
  }
  if (row.incidentId && row.headerVersion > row.headerSentVersion) await sendHeader(deps, row);
  const m = t.teamsMessage;
  let sent = 0;
  while (sent < MESSAGES_PER_RUN) {
    const pending = await app.db
      .select()
      .from(m)
      .where(and(eq(m.conversationId, row.id), gt(m.version, m.sentVersion), isNull(m.failedAt)))
      .orderBy(asc(m.seq))
      .limit(20);
    if (pending.length === 0) return;
    // In order: a failure that may pass stops here (thrown, retried later), so nothing overtakes it.
    for (const message of pending) await sendMessage(deps, row, message);
    sent += pending.length;
  }
  await scheduleFlush(app.db, row.id, app.clock.now());
}

/** The activity as posted by the bot into the row's conversation. */
function fromBot(row: TeamsConversation, activity: Record<string, unknown>): Record<string, unknown> {
  return { ...activity, from: { id: row.botId, ...(row.botName ? { name: row.botName } : {}) }, conversation: { id: row.conversationId } };
}

function headerActivity(deps: TeamsWorkerDeps, incident: IncidentSnapshot): Record<string, unknown> {
  return messageActivity(renderHeader(teamRenderContext(deps.app, deps.i18n), incident));
}

async function fail(deps: TeamsWorkerDeps, row: TeamsConversation, error: unknown): Promise<undefined> {
  const message = error instanceof Error ? error.message : String(error);
  deps.logger.error({ conversation: row.id, incidentId: row.incidentId, error: message }, 'could not open the incident channel in Teams');
  await deps.app.db.update(t.teamsConversation).set({ state: 'failed', lastError: message, updatedAt: deps.app.clock.now() }).where(eq(t.teamsConversation.id, row.id));
  return undefined;
}

/**
 * Makes the incident's place: the Graph channel first when tsuiki owns one (its id is kept
 * before going on, so a retry does not create a second channel), then the thread, whose root
 * post is the live header card. Returns the row, open, or undefined when Teams refused.
 */
async function openConversation(deps: TeamsWorkerDeps, row: TeamsConversation): Promise<TeamsConversation | undefined> {
  const { app, i18n, graph, connector } = deps;
  const c = t.teamsConversation;
  const incident = row.incidentId ? await loadSnapshot(app.db, row.incidentId, { entries: false }) : undefined;
  if (!incident) return fail(deps, row, 'the incident no longer exists');
  try {
    let channelId = row.channelId;
    if (row.ownsChannel && !channelId) {
      if (!graph) return fail(deps, row, 'the channel was planned in Microsoft Graph, which this process has no credentials for');
      const topic = i18n.t(app.settings.locales[0]!)('header.title', { ref: formatIncidentRef(incident.number), title: incident.title });
      const channel = await graph.client.createChannel(row.teamId ?? graph.teamId, { displayName: incidentSlug(incident.number, incident.title), description: topic });
      channelId = channel.id;
      await app.db.update(c).set({ channelId, updatedAt: app.clock.now() }).where(eq(c.id, row.id));
    }
    if (!channelId) return fail(deps, row, 'no Teams channel to start the thread in');
    const version = row.headerVersion;
    const created = await connector.createConversation(row.serviceUrl, {
      isGroup: true,
      bot: { id: row.botId, ...(row.botName ? { name: row.botName } : {}) },
      ...(row.tenantId ? { tenantId: row.tenantId } : {}),
      channelData: { channel: { id: channelId }, ...(row.tenantId ? { tenant: { id: row.tenantId } } : {}) },
      activity: headerActivity(deps, incident),
    });
    const threadId = created.id.includes(';') || !created.activityId ? created.id : `${created.id};messageid=${created.activityId}`;
    const rootId = created.activityId ?? /;messageid=(\d+)/.exec(threadId)?.[1] ?? null;
    const at = app.clock.now();
    return await app.db.transaction(async (tx) => {
      const [opened] = await tx
        .update(c)
        .set({ state: 'open', channelId, conversationId: threadId, rootActivityId: rootId, headerActivityId: rootId, headerSentVersion: sql`greatest(${c.headerSentVersion}, ${version})`, lastError: null, updatedAt: at })
        .where(eq(c.id, row.id))
        .returning();
      // Declaring files the location in chat_ref right after its commit; this covers a process
      // that died in between, so commands in the new thread still find the incident.
      await tx
        .insert(t.chatRef)
        .values({ id: app.newId(), incidentId: incident.id, platform: 'teams', purpose: 'incident', channelId: locationOf(row), teamId: row.teamId, headerMessageId: rootId, createdAt: at })
        .onConflictDoNothing();
      return opened;
    });
  } catch (e) {
    if (isTerminal(e)) return fail(deps, row, e);
    throw e;
  }
}

/** Edits the live header in place (its activity id is stored), or posts it when it has none yet. */
async function sendHeader(deps: TeamsWorkerDeps, row: TeamsConversation): Promise<void> {
  const { app, connector, logger } = deps;
  const c = t.teamsConversation;
  const version = row.headerVersion;
  // The header never shows the timeline: it is left out (it grows with every note).
  const incident = await loadSnapshot(app.db, row.incidentId!, { entries: false });
  let headerActivityId = row.headerActivityId;
  if (incident) {
    const activity = fromBot(row, headerActivity(deps, incident));
    try {
      if (headerActivityId) await connector.updateActivity(row.serviceUrl, row.conversationId!, headerActivityId, activity);
      else headerActivityId = await connector.sendToConversation(row.serviceUrl, row.conversationId!, activity);
    } catch (e) {
      if (!isTerminal(e)) throw e;
      logger.warn({ err: e, conversation: row.id }, 'Teams refused the header update');
    }
  }
  await app.db
    .update(c)
    .set({ headerActivityId, headerSentVersion: sql`greatest(${c.headerSentVersion}, ${version})`, updatedAt: app.clock.now() })
    .where(eq(c.id, row.id));
}

async function sendMessage(deps: TeamsWorkerDeps, row: TeamsConversation, message: typeof t.teamsMessage.$inferSelect): Promise<void> {
  const { app, connector, logger } = deps;
  const m = t.teamsMessage;
  const activity = fromBot(row, message.activity);
  try {
    let activityId = message.activityId;
    if (activityId) await connector.updateActivity(row.serviceUrl, row.conversationId!, activityId, activity);
    else activityId = await connector.sendToConversation(row.serviceUrl, row.conversationId!, activity);
    await app.db
      .update(m)
      .set({ activityId, sentVersion: sql`greatest(${m.sentVersion}, ${message.version})`, lastError: null, updatedAt: app.clock.now() })
      .where(eq(m.id, message.id));
  } catch (e) {
    if (!isTerminal(e)) throw e;
    logger.warn({ err: e, conversation: row.id, message: message.id }, 'Teams refused a message');
    const error = e instanceof Error ? e.message : String(e);
    await app.db.update(m).set({ failedAt: app.clock.now(), lastError: error }).where(and(eq(m.id, message.id), eq(m.version, message.version)));
  }
}

/**
 * The preview's machine translation, off the turn: fills the missing languages, then edits the
 * preview where the turn showed it, once something was filled. A translator that failed
 * throws (the job is retried with backoff); the preview meanwhile says what is missing.
 */
async function translatePreview(deps: TeamsWorkerDeps, job: PreviewTranslation): Promise<void> {
  const { app, i18n, connector, jobs } = deps;
  const filled = await translatePublicUpdate(app, job.updateId);
  const failed = Object.keys(filled.failures).filter((lang) => filled.missing.includes(lang));
  if (filled.filled.length > 0) {
    const [row] = await app.db
      .select({ incidentId: t.publicUpdate.incidentId, number: t.incident.number })
      .from(t.publicUpdate)
      .innerJoin(t.incident, eq(t.incident.id, t.publicUpdate.incidentId))
      .where(eq(t.publicUpdate.id, job.updateId));
    const update = row && (await loadPublicUpdate(app.db, row.incidentId, job.updateId));
    if (row && update) {
      const rc = teamRenderContext(app, i18n, job.lang);
      const activity = messageActivity(renderPreview(rc, row, update, app.settings.locales, { canRetryTranslation: Boolean(app.translator) }));
      const target = job.target;
      if (target.kind === 'queued') {
        await app.db.transaction((tx) => queueEdit(tx, { id: app.newId(), conversationRowId: target.conversation, messageId: target.messageId, activity, at: app.clock.now() }));
        jobs.kick();
      } else {
        try {
          await connector.updateActivity(target.serviceUrl, target.conversationId, target.activityId, { ...activity, conversation: { id: target.conversationId } });
        } catch (e) {
          if (!isTerminal(e)) throw e;
          deps.logger.warn({ err: e, updateId: job.updateId }, 'Teams refused the translated preview');
        }
      }
    }
  }
  if (failed.length > 0) throw new Error(`translation of ${job.updateId} failed: ${failed.map((lang) => `${lang} ${filled.failures[lang]}`).join(', ')}`);
}
