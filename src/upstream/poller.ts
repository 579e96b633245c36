import { eq } from 'drizzle-orm';
import type { z } from 'zod';
import type { AppContext } from '../app/context.ts';
import { armUpstreamPoll, type UPSTREAM_POLL_JOB } from '../app/follow-upstream.ts';
import { translatePublicUpdate } from '../app/translate-public-update.ts';
import { ensureIncidentChannel, type IncidentChannelDeps, teamRenderContext } from '../chat/incident-channel.ts';
import type { NeutralMessage } from '../chat/message.ts';
import type { ChatPlatform } from '../chat/platform.ts';
import { renderPreview } from '../chat/render.ts';
import { formatIncidentRef } from '../core/model.ts';
import { findIncidentChatRef, loadSnapshot } from '../db/incident-repository.ts';
import * as t from '../db/schema.ts';
import type { I18n } from '../i18n.ts';
import type { Logger } from '../logger.ts';
import { type BackoffPolicy, retryDelay } from '../outbox/backoff.ts';
import { fetchIncidents, UpstreamFetchError } from './fetch-feed.ts';
import { importUpstreamIncident, type ImportResult } from './import-incident.ts';

export interface UpstreamPollerOptions {
  app: AppContext;
  i18n: I18n;
  logger: Logger;
  /** Where incidents are opened and drafts previewed; without one, imports still happen (visible in `list`). */
  platform?: ChatPlatform | undefined;
  /** UPSTREAM_POLL_SECONDS, in milliseconds. */
  intervalMs: number;
  /** One request's ceiling; 10 s by default. */
  timeoutMs?: number;
  fetch?: typeof fetch;
  /** Retry schedule after failures; its base defaults to the poll interval. */
  backoff?: Partial<BackoffPolicy>;
  random?: () => number;
  /** Poll only these followed `incidents.json` URLs (tests sharing a database); every followed page by default. */
  only?: readonly string[];
}

/** What one poll of one page did. */
export type PollReport =
  | { url: string; kind: 'not_modified' }
  | { url: string; kind: 'imported'; results: ImportResult[] }
  | { url: string; kind: 'failed'; error: string; retryInMs: number };

export interface UpstreamPoller {
  /** Polls every followed page that is due by this poller's own reckoning (all of them on the first call); tests. */
  pollDue(): Promise<PollReport[]>;
  /**
   * The `upstream.poll` job: polls one followed page and re-arms its job for the next poll —
   * UPSTREAM_POLL_SECONDS later, or after its backoff when it failed. A page no longer followed is dropped.
   */
  runJob(payload: z.output<typeof UPSTREAM_POLL_JOB.payload>): Promise<PollReport | undefined>;
}

/**
 * Follows vendor status pages: each followed `incidents.json` every interval, with
 * If-None-Match so an unchanged page is a 304. A failing page (5xx, timeout, garbage) is
 * retried with exponential backoff, honouring Retry-After, without delaying the others.
 * The ETag is stored only after a page's imports committed, so a crash mid-import refetches.
 */
export function createUpstreamPoller(options: UpstreamPollerOptions): UpstreamPoller {
  const { app, logger } = options;
  const policy: BackoffPolicy = { baseMs: options.intervalMs, maxMs: 30 * 60_000, maxAttempts: Number.POSITIVE_INFINITY, ...options.backoff };
  // Per page, in memory: a restart polls everything at once, which is what a restart should do.
  const schedule = new Map<string, { nextAt: number; failures: number }>();

  /** Polls one page after `failures` failures in a row; says when to poll it next. */
  const pollOne = async (follow: typeof t.upstreamFollow.$inferSelect, failuresBefore: number): Promise<PollReport & { nextAt: number; failures: number }> => {
    try {
      const result = await fetchIncidents(follow.url, { etag: follow.etag ?? undefined, timeoutMs: options.timeoutMs ?? 10_000, now: app.clock.now(), ...(options.fetch ? { fetch: options.fetch } : {}) });
      const results: ImportResult[] = [];
      if (result.kind === 'ok') {
        const vendor = result.feed.vendor ?? new URL(follow.url).host;
        if (result.feed.skipped > 0) logger.warn({ url: follow.url, skipped: result.feed.skipped }, 'upstream incidents that did not parse were skipped');
        const incidents = [...result.feed.incidents].sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at));
        for (const incident of incidents) {
          const imported = await importUpstreamIncident(app, { url: follow.url, createdAt: follow.createdAt }, vendor, incident);
          if (imported && (imported.opened || imported.imported > 0)) results.push(imported);
        }
        for (const r of results) await showInChat(r, vendor);
      }
      const now = app.clock.now();
      await app.db
        .update(t.upstreamFollow)
        .set({ lastPolledAt: now, lastError: null, ...(result.kind === 'ok' ? { etag: result.etag ?? null } : {}) })
        .where(eq(t.upstreamFollow.id, follow.id));
      const next = { nextAt: now.getTime() + options.intervalMs, failures: 0 };
      return result.kind === 'ok' ? { url: follow.url, kind: 'imported', results, ...next } : { url: follow.url, kind: 'not_modified', ...next };
    } catch (e) {
      const failures = failuresBefore + 1;
      const retryAfter = e instanceof UpstreamFetchError ? e.retryAfterMs : undefined;
      const retryInMs = retryDelay(failures, policy, retryAfter, options.random);
      const error = e instanceof Error ? e.message : String(e);
      const now = app.clock.now();
      logger.warn({ url: follow.url, failures, retryInMs, err: e }, 'upstream poll failed');
      await app.db
        .update(t.upstreamFollow)
        .set({ lastPolledAt: now, lastError: error.slice(0, 500) })
        .where(eq(t.upstreamFollow.id, follow.id))
        .catch(() => {});
      return { url: follow.url, kind: 'failed', error, retryInMs, nextAt: now.getTime() + retryInMs, failures };
    }
  };

  /** After commit: opens the channel of a new incident, previews each draft there, refreshes the header. */
  const showInChat = async (result: ImportResult, vendor: string) => {
    if (result.drafts.length > 0 && app.translator) {
      for (const draft of result.drafts) {
        await translatePublicUpdate(app, draft.updateId).catch((e: unknown) => logger.warn({ err: e, updateId: draft.updateId }, 'could not fill machine translations'));
      }
    }
    const platform = options.platform;
    if (!platform) return;
    const deps: IncidentChannelDeps = { app, i18n: options.i18n, platform, logger };
    try {
      await ensureIncidentChannel(deps, result.incidentId, { name: vendor }, []);
      const chatRef = await findIncidentChatRef(app.db, result.incidentId, platform.platform);
      const incident = await loadSnapshot(app.db, result.incidentId);
      if (!chatRef || !incident) return;
      const rc = teamRenderContext(app, options.i18n);
      const tr = options.i18n.t(rc.lang);
      for (const draft of result.drafts) {
        const update = incident.publicUpdates.find((u) => u.id === draft.updateId);
        if (!update) continue;
        const lines = [tr('manager:upstream.update', { vendor, ref: formatIncidentRef(result.number), status: tr(`common:status.${draft.status}`) })];
        if (draft.status === 'resolved') lines.push(tr('manager:upstream.resolvedProposal', { vendor, ref: formatIncidentRef(result.number) }));
        await platform.post(chatRef.channelId, { text: lines[0]!, lines } satisfies NeutralMessage);
        await platform.post(chatRef.channelId, renderPreview(rc, incident, update, app.settings.locales, { canRetryTranslation: Boolean(app.translator) }));
      }
    } catch (e) {
      logger.warn({ err: e, incidentId: result.incidentId }, 'could not show the upstream import in chat');
    }
  };

  const pollDue = async (): Promise<PollReport[]> => {
    const follows = (await app.db.select().from(t.upstreamFollow)).filter((f) => !options.only || options.only.includes(f.url));
    const now = app.clock.now().getTime();
    const reports: PollReport[] = [];
    for (const follow of follows) {
      const state = schedule.get(follow.id) ?? { nextAt: 0, failures: 0 };
      if (state.nextAt > now) continue;
      const { nextAt, failures, ...report } = await pollOne(follow, state.failures);
      schedule.set(follow.id, { nextAt, failures });
      reports.push(report);
    }
    return reports;
  };

  const runJob = async ({ followId, failures: before }: z.output<typeof UPSTREAM_POLL_JOB.payload>): Promise<PollReport | undefined> => {
    const [follow] = await app.db.select().from(t.upstreamFollow).where(eq(t.upstreamFollow.id, followId));
    if (!follow) return undefined;
    const { nextAt, failures, ...report } = await pollOne(follow, before);
    await armUpstreamPoll(app.db, { followId, failures }, new Date(nextAt));
    return report;
  };
  return { pollDue, runJob };
}
