import type { z } from 'zod';
import type { Clock } from '../core/clock.ts';
import type { Database, Db, Executor } from '../db/client.ts';
import type { Logger } from '../logger.ts';
import type { BackoffPolicy } from './backoff.ts';
import { createPollLoop } from './loop.ts';
import { listenForWork } from './wakeup.ts';
import { createJobWorker, type Job, type JobHandler, type JobWorker, scheduleJob, TerminalJobError } from './jobs.ts';

/**
 * A kind of durable job: its name in the queue, the schema of its payload and that schema's
 * version, and how it is retried. Written with {@link enqueueJob} in the caller's transaction,
 * run by the one {@link JobRunner} of each process that registered a handler for it.
 */
export interface JobType<P> {
  readonly name: string;
  /** Bumped when the payload's shape changes; a job written with another version is refused, not misread. */
  readonly version: number;
  readonly payload: z.ZodType<P>;
  /** Its own retry policy; the queue's default otherwise. */
  readonly backoff?: BackoffPolicy | undefined;
  /**
   * `notify` (default): a job due now wakes every process's runner at commit. `kick`: the
   * writer kicks its own runner when it is done (Teams sends: one turn's edits go out as one).
   */
  readonly wake?: 'notify' | 'kick' | undefined;
}

/** Declares a job type; the payload type follows from the schema. */
export function defineJob<S extends z.ZodType>(spec: { name: string; version: number; payload: S; backoff?: BackoffPolicy; wake?: 'notify' | 'kick' }): JobType<z.output<S>> {
  return spec as JobType<z.output<S>>;
}

/**
 * Schedules a job of `type` under `key` at `runAt` (now by default), in the caller's
 * transaction: it exists exactly when the caller's writes commit. Scheduling a key again
 * replaces the pending job (one key per logical timer or queue). The payload is checked
 * against the type's schema here, so a bad one fails the caller, not a worker later.
 */
export async function enqueueJob<P>(tx: Executor, type: JobType<P>, payload: P, options: { key: string; runAt: Date; unlessWaiting?: boolean }): Promise<void> {
  const parsed = type.payload.parse(payload) as Record<string, unknown>;
  await scheduleJob(tx, {
    kind: type.name,
    key: options.key,
    runAt: options.runAt,
    payload: parsed,
    payloadVersion: type.version,
    announce: type.wake !== 'kick',
    ...(options.unlessWaiting ? { unlessWaiting: true } : {}),
  });
}

/** A typed job's handler: the payload parsed by its schema, and the run (attempt, key). */
export type TypedJobHandler<P> = (payload: P, job: Job) => Promise<void>;

/**
 * The one job worker of a process. Server parts register the job types they handle when
 * they are built; the runner claims only registered kinds, so processes with different
 * parts share the queue. `start`/`stop` are counted: the runner runs while any part that
 * started it has not stopped it.
 */
export interface JobRunner {
  register<P>(type: JobType<P>, handler: TypedJobHandler<P>): void;
  start(): void;
  stop(): Promise<void>;
  /** Looks for due jobs now (after a write queued one), in the background. */
  kick(): void;
  /** Runs due jobs until none is left (tests, shutdown of a CLI command). */
  drain(): Promise<void>;
  /** Claims and runs one batch of due jobs; how many ran. */
  runDue(): Promise<number>;
}

export interface JobRunnerOptions {
  db: Db;
  /** Listened on for announced jobs (`wakeup.ts`) while the runner runs; polling only without it. */
  database?: Database;
  clock: Clock;
  logger: Logger;
  /** How often due jobs are looked for when nothing kicked the runner; 1 s by default. */
  pollMs?: number;
  /** Jobs run at once; 4 by default. */
  concurrency?: number;
  /** A claim's lease; 5 minutes by default (a dead process's claims are released sooner, by liveness). */
  leaseMs?: number;
  random?: () => number;
}

export function createJobRunner(options: JobRunnerOptions): JobRunner {
  const { logger } = options;
  const types = new Map<string, { type: JobType<unknown>; handler: TypedJobHandler<unknown> }>();
  const handlers: Record<string, JobHandler> = {};
  const worker: JobWorker = createJobWorker({
    db: options.db,
    clock: options.clock,
    handlers,
    leaseMs: options.leaseMs ?? 5 * 60_000,
    concurrency: options.concurrency ?? 4,
    batchSize: 20,
    backoffFor: (kind) => types.get(kind)?.type.backoff,
    ...(options.random ? { random: options.random } : {}),
    onError: (e, job) => logger.warn({ err: e, job: job?.key, kind: job?.kind }, 'job failed; will retry'),
    onDead: (job, error) => logger.error({ job: job.key, kind: job.kind, error }, 'job gave up'),
  });
  let starts = 0;
  // One run at a time in this process: the poll loop, kicks and drains take turns.
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    const next = chain.then(work, work);
    chain = next.catch(() => undefined);
    return next;
  };
  const untilIdle = async () => {
    while ((await worker.runDue()) > 0) {
      // keep going while jobs are due
    }
  };
  let kicked = false;
  let unlisten: (() => Promise<void>) | undefined;
  const loop = createPollLoop(() => serial(() => worker.runDue()), {
    intervalMs: options.pollMs ?? 1_000,
    onError: (e) => logger.warn({ err: e }, 'job runner error'),
  });
  return {
    register(type, handler) {
      if (types.has(type.name)) throw new Error(`job type ${type.name} is registered twice`);
      types.set(type.name, { type: type as JobType<unknown>, handler: handler as TypedJobHandler<unknown> });
      handlers[type.name] = async (job) => {
        if (job.payloadVersion !== type.version) throw new TerminalJobError(`${type.name}: payload version ${job.payloadVersion}, this process reads ${type.version}`);
        const parsed = type.payload.safeParse(job.payload);
        if (!parsed.success) throw new TerminalJobError(`${type.name}: unreadable payload: ${parsed.error.message}`);
        await handler(parsed.data, job);
      };
    },
    start() {
      if (starts++ !== 0) return;
      loop.start();
      if (options.database) {
        void listenForWork(options.database, 'job', () => loop.kick(), logger).then((stop) => {
          // Stopped meanwhile: no listener left behind.
          if (starts === 0) void stop();
          else unlisten = stop;
        });
      }
    },
    async stop() {
      if (starts === 0 || --starts > 0) return;
      await unlisten?.().catch(() => undefined);
      unlisten = undefined;
      await loop.stop();
      await chain;
    },
    kick() {
      if (kicked) return;
      kicked = true;
      void serial(async () => {
        kicked = false;
        await untilIdle();
      }).catch((e: unknown) => logger.warn({ err: e }, 'job runner error'));
    },
    drain: () => serial(untilIdle),
    runDue: () => serial(() => worker.runDue()),
  };
}
