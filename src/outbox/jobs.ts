/**
 * Scheduled jobs: a small, durable "run this later" facility in the outbox (PostgreSQL or PGlite).
 *
 * API (stable; reminders and other features build on it):
 * - `scheduleJob(tx, { kind, key, runAt, payload })` — inside the caller's transaction, so
 *   the job exists exactly when the caller's writes commit. Idempotent by `key`: scheduling
 *   an existing key replaces its `kind`, `runAt` and `payload` and (re-)arms it as pending,
 *   even when it already ran or was cancelled; two calls with the same arguments leave one
 *   job. Use one key per logical timer (e.g. `reminder:<incidentId>`) and reschedule it.
 * - `cancelJob(tx, key)` — disarms a pending job; true when one was pending.
 * - `createJobWorker({ db, clock, handlers })` — runs due jobs, dispatching by `kind` to
 *   `handlers[kind](job, { db })`. Only kinds it has a handler for are claimed, so
 *   processes with different handlers can share the table. Every process may run one:
 *   claims use `FOR UPDATE SKIP LOCKED` and a lease, so a job runs in one process at a time;
 *   a job held by a killed process runs again once its claim is reaped (`liveness.ts`: within
 *   seconds) or, failing that, its lease expires (at-least-once:
 *   handlers must be idempotent). A throwing handler is retried with exponential backoff
 *   and jitter; after `backoff.maxAttempts` the job is `dead` and `onDead` is told. An error
 *   carrying a numeric `retryAfterMs` (a target's `Retry-After`) sets a floor on that delay.
 * - A handler may reschedule its own key (`scheduleJob` with the same key): the new
 *   schedule wins over the run that is finishing, because every schedule bumps `version`
 *   and a run completes only the version it claimed.
 */
import { randomUUID } from 'node:crypto';
import { and, asc, eq, inArray, isNull, lte, ne, or, sql } from 'drizzle-orm';
import type { Clock } from '../core/clock.ts';
import type { Db, Executor } from '../db/client.ts';
import * as t from '../db/schema.ts';
import { type BackoffPolicy, DEFAULT_BACKOFF, retryDelay } from './backoff.ts';
import { PROCESS_WORKER_ID } from './liveness.ts';
import { announceWork } from './wakeup.ts';
import { createPollLoop, type PollLoop } from './loop.ts';

export interface ScheduleJobInput {
  /** Which handler runs it, e.g. `incident.reminder`. */
  kind: string;
  /** Unique per logical timer; scheduling it again replaces the previous schedule. */
  key: string;
  runAt: Date;
  payload?: Record<string, unknown>;
  /** The payload schema's version (a typed job type's `version`); 1 by default. */
  payloadVersion?: number;
  /** Wake every process's runner at commit when the job is due now (NOTIFY); true by default. */
  announce?: boolean;
  /**
   * Only when the key has no pending job waiting to be claimed; one that is already waiting
   * is left as it is, and its row is not even locked. For a caller that wants "a run after
   * this" and can live with that run starting just before its commit (a header's duration),
   * many such callers at once do not queue on the job's row.
   */
  unlessWaiting?: boolean;
}

/** A job as its handler sees it. */
export interface Job {
  id: string;
  kind: string;
  key: string;
  runAt: Date;
  payload: Record<string, unknown>;
  payloadVersion: number;
  /** 1 on the first run. */
  attempt: number;
}

/** A failure that will not pass (an unreadable payload, a refusal for good): the job is dead at once, not retried. */
export class TerminalJobError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TerminalJobError';
  }
}

export type JobHandler = (job: Job, deps: { db: Db }) => Promise<void>;

/** Schedules (or reschedules) the job named `key`, in the caller's transaction. */
export async function scheduleJob(tx: Executor, input: ScheduleJobInput): Promise<void> {
  const payload = input.payload ?? {};
  const payloadVersion = input.payloadVersion ?? 1;
  if (input.unlessWaiting) {
    const j = t.scheduledJob;
    // Waiting: not claimed yet, or re-armed while it runs (a re-arm resets attempts; a claim counts one).
    const [waiting] = await tx
      .select({ id: j.id })
      .from(j)
      .where(and(eq(j.key, input.key), eq(j.state, 'pending'), or(isNull(j.claimedBy), eq(j.attempts, 0))));
    if (waiting) return;
  }
  await tx
    .insert(t.scheduledJob)
    .values({
      id: randomUUID(),
      kind: input.kind,
      key: input.key,
      runAt: input.runAt,
      payload,
      payloadVersion,
      state: 'pending',
      createdAt: sql`now()`,
      updatedAt: sql`now()`,
    })
    .onConflictDoUpdate({
      target: t.scheduledJob.key,
      set: {
        kind: input.kind,
        runAt: input.runAt,
        payload,
        payloadVersion,
        state: 'pending',
        attempts: 0,
        // A job running now keeps its claim: re-armed, it runs again once that run is over
        // (finish releases it), never twice at once in two processes.
        lastError: null,
        version: sql`${t.scheduledJob.version} + 1`,
        updatedAt: sql`now()`,
      },
    });
  // Due now (a send, not a timer): the job runners look at once instead of at their next poll.
  if ((input.announce ?? true) && input.runAt.getTime() <= Date.now() + 1_000) await announceWork(tx, 'job');
}

/** Disarms the pending job named `key`; true when there was one. */
export async function cancelJob(tx: Executor, key: string): Promise<boolean> {
  const rows = await tx
    .update(t.scheduledJob)
    .set({ state: 'cancelled', leasedUntil: null, claimedBy: null, version: sql`${t.scheduledJob.version} + 1`, updatedAt: sql`now()` })
    .where(and(eq(t.scheduledJob.key, key), eq(t.scheduledJob.state, 'pending')))
    .returning({ id: t.scheduledJob.id });
  return rows.length > 0;
}

export interface JobWorkerOptions {
  db: Db;
  clock: Clock;
  handlers: Record<string, JobHandler>;
  /** How long a claim is held before another process may take the job again. */
  leaseMs?: number;
  batchSize?: number;
  intervalMs?: number;
  backoff?: BackoffPolicy;
  /** A kind's own retry policy, where it has one; `backoff` otherwise. */
  backoffFor?: (kind: string) => BackoffPolicy | undefined;
  /** Jobs of one claimed batch run at once (each job is claimed by one run only); 1 by default. */
  concurrency?: number;
  onError?: (e: unknown, job?: Job) => void;
  onDead?: (job: Job, error: string) => void;
  random?: () => number;
}

export interface JobWorker extends PollLoop {
  /** Claims and runs the jobs due now; returns how many ran. */
  runDue(): Promise<number>;
}

/** A worker running due jobs of the kinds it has handlers for. */
export function createJobWorker(options: JobWorkerOptions): JobWorker {
  const leaseMs = options.leaseMs ?? 60_000;
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  const onError = options.onError ?? (() => {});

  const claim = async (): Promise<(Job & { version: number })[]> => {
    // Read per claim: a job runner's handlers are registered after the worker is made.
    const kinds = Object.keys(options.handlers);
    if (kinds.length === 0) return [];
    const now = options.clock.now();
    const j = t.scheduledJob;
    const due = options.db
      .select({ id: j.id })
      .from(j)
      .where(
        and(
          eq(j.state, 'pending'),
          lte(j.runAt, now),
          or(isNull(j.leasedUntil), lte(j.leasedUntil, now)),
          inArray(j.kind, kinds),
        ),
      )
      .orderBy(asc(j.runAt))
      .limit(options.batchSize ?? 10)
      .for('update', { skipLocked: true });
    const rows = await options.db
      .update(j)
      .set({ leasedUntil: new Date(now.getTime() + leaseMs), claimedBy: PROCESS_WORKER_ID, attempts: sql`${j.attempts} + 1`, updatedAt: sql`now()` })
      .where(inArray(j.id, due))
      .returning();
    return rows.map((r) => ({ id: r.id, kind: r.kind, key: r.key, runAt: r.runAt, payload: r.payload, payloadVersion: r.payloadVersion, attempt: r.attempts, version: r.version }));
  };

  const finish = async (job: Job & { version: number }, error?: unknown) => {
    const j = t.scheduledJob;
    const mine = and(eq(j.id, job.id), eq(j.version, job.version), eq(j.state, 'pending'));
    const settled = await settle(job, mine, error);
    if (settled) return;
    // Re-armed or cancelled while it ran: this run's outcome is not the job's any more, but
    // its claim is released, so a re-armed job runs at once instead of when the lease ends.
    await options.db
      .update(j)
      .set({ leasedUntil: null, claimedBy: null })
      .where(and(eq(j.id, job.id), ne(j.version, job.version), eq(j.claimedBy, PROCESS_WORKER_ID)));
  };

  /** Records a run's outcome on the job it ran (`mine`); false when the job was re-armed meanwhile. */
  const settle = async (job: Job & { version: number }, mine: ReturnType<typeof and>, error?: unknown): Promise<boolean> => {
    const j = t.scheduledJob;
    if (error === undefined) {
      const done = await options.db.update(j).set({ state: 'done', leasedUntil: null, claimedBy: null, lastError: null, updatedAt: sql`now()` }).where(mine).returning({ id: j.id });
      return done.length > 0;
    }
    const message = error instanceof Error ? error.message : String(error);
    const policy = options.backoffFor?.(job.kind) ?? backoff;
    if (job.attempt >= policy.maxAttempts || error instanceof TerminalJobError) {
      const dead = await options.db
        .update(j)
        .set({ state: 'dead', leasedUntil: null, claimedBy: null, lastError: message, updatedAt: sql`now()` })
        .where(mine)
        .returning({ id: j.id });
      if (dead.length > 0) options.onDead?.(job, message);
      return dead.length > 0;
    }
    const delay = retryDelay(job.attempt, policy, retryAfterOf(error), options.random);
    const retried = await options.db
      .update(j)
      .set({ runAt: new Date(options.clock.now().getTime() + delay), leasedUntil: null, claimedBy: null, lastError: message, updatedAt: sql`now()` })
      .where(mine)
      .returning({ id: j.id });
    return retried.length > 0;
  };

  const runOne = async (job: Job & { version: number }) => {
    const handler = options.handlers[job.kind]!;
    let failure: unknown;
    try {
      await handler(job, { db: options.db });
    } catch (e) {
      failure = e ?? new Error('handler failed');
      onError(e, job);
    }
    await finish(job, failure);
  };

  const runDue = async (): Promise<number> => {
    const jobs = await claim();
    let next = 0;
    const lane = async () => {
      while (next < jobs.length) await runOne(jobs[next++]!);
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency ?? 1, jobs.length)) }, lane));
    return jobs.length;
  };

  const loop = createPollLoop(runDue, { intervalMs: options.intervalMs ?? 1_000, onError: (e) => onError(e) });
  return { ...loop, runDue };
}

/** A handler error's `retryAfterMs` (e.g. from a 429's `Retry-After`), when it has one. */
function retryAfterOf(error: unknown): number | undefined {
  const value = (error as { retryAfterMs?: unknown } | null)?.retryAfterMs;
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}
