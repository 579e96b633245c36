import { and, eq } from 'drizzle-orm';
import { z } from 'zod';
import { DomainError } from '../core/errors.ts';
import type { Executor } from '../db/client.ts';
import * as t from '../db/schema.ts';
import { defineJob, enqueueJob } from '../outbox/job-runner.ts';
import { type CommandMeta, type CommandResult, runWrite } from './command-runner.ts';
import type { AppContext } from './context.ts';

export interface FollowStarted {
  [key: string]: unknown;
  followId: string;
  url: string;
  /** The Statuspage-v2 JSON that will be polled. */
  incidentsUrl: string;
  alreadyFollowing: boolean;
}

/** The `incidents.json` of a Statuspage-v2 page, from its base URL or any of its v2 JSON URLs. */
export function statuspageIncidentsUrl(input: string): string {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new DomainError('bad_url', { value: input }, 'follow');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new DomainError('bad_url', { value: input }, 'follow');
  url.search = '';
  url.hash = '';
  const apiIndex = url.pathname.indexOf('/api/v2/');
  const base = apiIndex >= 0 ? url.pathname.slice(0, apiIndex) : url.pathname.replace(/\/+$/, '');
  url.pathname = `${base}/api/v2/incidents.json`;
  return url.toString();
}

/** `follow <url>`: records a vendor status page to watch; following twice is harmless. */
export async function followUpstream(ctx: AppContext, meta: CommandMeta, input: { url: string }): Promise<CommandResult<FollowStarted>> {
  const incidentsUrl = statuspageIncidentsUrl(input.url);
  return runWrite(ctx, meta, 'follow', undefined, async (tx, now) => {
    const [existing] = await tx.select().from(t.upstreamFollow).where(eq(t.upstreamFollow.url, incidentsUrl));
    if (existing) return { followId: existing.id, url: input.url, incidentsUrl, alreadyFollowing: true };
    const followId = ctx.newId();
    await tx.insert(t.upstreamFollow).values({ id: followId, url: incidentsUrl, createdBy: meta.actor.id, createdAt: now });
    // Polled from now on by whichever process's job runner claims it, one at a time.
    await armUpstreamPoll(tx, { followId, failures: 0 }, now);
    return { followId, url: input.url, incidentsUrl, alreadyFollowing: false };
  });
}

/**
 * One followed page's next poll: a job per page, so one process polls it at a time however
 * many run, and a restart resumes its schedule. The poll re-arms it (UPSTREAM_POLL_SECONDS
 * later, or its backoff after `failures` failures in a row); unfollowing would cancel it.
 */
export const UPSTREAM_POLL_JOB = defineJob({
  name: 'upstream.poll',
  version: 1,
  payload: z.object({ followId: z.uuid(), failures: z.number().int().min(0) }),
});

export const upstreamPollKey = (followId: string) => `upstream.poll:${followId}`;

export async function armUpstreamPoll(tx: Executor, payload: z.output<typeof UPSTREAM_POLL_JOB.payload>, runAt: Date): Promise<void> {
  await enqueueJob(tx, UPSTREAM_POLL_JOB, payload, { key: upstreamPollKey(payload.followId), runAt });
}

/** Arms the poll of every followed page that has none pending (pages followed before polls were jobs). */
export async function armMissingUpstreamPolls(ctx: Pick<AppContext, 'db' | 'clock'>): Promise<number> {
  const follows = await ctx.db.select({ id: t.upstreamFollow.id }).from(t.upstreamFollow);
  if (follows.length === 0) return 0;
  const armed = await ctx.db
    .select({ key: t.scheduledJob.key })
    .from(t.scheduledJob)
    .where(and(eq(t.scheduledJob.kind, UPSTREAM_POLL_JOB.name), eq(t.scheduledJob.state, 'pending')));
  const have = new Set(armed.map((r) => r.key));
  const missing = follows.filter((f) => !have.has(upstreamPollKey(f.id)));
  for (const f of missing) await armUpstreamPoll(ctx.db, { followId: f.id, failures: 0 }, ctx.clock.now());
  return missing.length;
}
