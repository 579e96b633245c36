import { randomInt, randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { and, eq, inArray, ne, notInArray, sql } from 'drizzle-orm';
import type { Clock } from '../core/clock.ts';
import { type Database, type LockSession, rowsOf } from '../db/client.ts';
import * as t from '../db/schema.ts';
import type { Logger } from '../logger.ts';

/**
 * The id this process claims work under (inbox rows, jobs, deliveries, Teams conversations).
 * One per process: every claimer in it lives and dies with it.
 */
export const PROCESS_WORKER_ID = randomUUID();

/** First key of every liveness lock (`pg_advisory_lock(namespace, worker key)`); "ts". */
export const LIVENESS_LOCK_NAMESPACE = 0x7473;

/** Lock keys held by this process on PGlite, where pg_locks would show only one session anyway. */
const heldHere = new Set<number>();

export interface Liveness {
  readonly workerId: string;
  /** Releases the claims of workers whose lock is gone; returns their ids. */
  reap(): Promise<string[]>;
  /** Stops the heartbeat and releases the lock (the row goes with it); claims still held are released by the next reap anywhere. */
  stop(): Promise<void>;
}

export interface LivenessOptions {
  clock: Clock;
  logger: Logger;
  /** How often the lock is checked, the heartbeat written and dead workers reaped; 2 s by default. */
  intervalMs?: number;
}

/**
 * Makes this process a live worker: takes a session-level advisory lock under a key of its
 * own, records itself in `worker`, and from then on (every `intervalMs`) keeps the lock,
 * writes a heartbeat and releases the claims of any worker whose lock is gone. A process
 * killed with -9 loses its connection and with it the lock, so the survivors — or the
 * process started in its place — take its work over within one interval, where a lease
 * would hold it for minutes. A slow but alive worker keeps its lock and its claims.
 */
export async function startLiveness(database: Database, options: LivenessOptions): Promise<Liveness> {
  const { clock, logger } = options;
  const db = database.db;
  const me = PROCESS_WORKER_ID;
  const session = await database.openLockSession();
  let key = await takeKey(session);
  heldHere.add(key);
  const register = async () => {
    const now = clock.now();
    await db
      .insert(t.worker)
      .values({ id: me, lockKey: key, pid: process.pid, host: hostname(), startedAt: now, heartbeatAt: now })
      .onConflictDoUpdate({ target: t.worker.id, set: { lockKey: key, heartbeatAt: now } });
  };
  try {
    await register();
  } catch (e) {
    await session.close();
    throw e;
  }

  const liveKeys = async (): Promise<number[]> => {
    if (database.kind === 'pglite') return [...heldHere];
    const rows = rowsOf<{ key: string | number }>(
      await db.execute(sql`
        select objid::bigint as key from pg_locks
        where locktype = 'advisory' and classid = ${LIVENESS_LOCK_NAMESPACE} and objsubid = 2 and granted
          and database = (select oid from pg_database where datname = current_database())`),
    );
    return rows.map((r) => Number(r.key));
  };

  const reap = async (): Promise<string[]> => {
    const live = await liveKeys();
    const w = t.worker;
    // Never this process: a second handle here (tests) may have moved the row to its own key.
    const dead = await db
      .select({ id: w.id })
      .from(w)
      .where(and(ne(w.id, me), live.length ? notInArray(w.lockKey, live) : sql`true`));
    if (dead.length === 0) return [];
    const ids = dead.map((d) => d.id);
    await db.transaction(async (tx) => {
      await tx
        .update(t.delivery)
        .set({ nextAttemptAt: null, claimedBy: null })
        .where(and(inArray(t.delivery.claimedBy, ids), inArray(t.delivery.state, ['pending', 'failed'])));
      await tx
        .update(t.scheduledJob)
        .set({ leasedUntil: null, claimedBy: null })
        .where(and(inArray(t.scheduledJob.claimedBy, ids), eq(t.scheduledJob.state, 'pending')));
      await tx.update(t.teamsConversation).set({ leasedUntil: null, claimedBy: null }).where(inArray(t.teamsConversation.claimedBy, ids));
      await tx
        .update(t.inbox)
        .set({ nextAttemptAt: null, claimedBy: null })
        .where(and(inArray(t.inbox.claimedBy, ids), eq(t.inbox.state, 'pending')));
      await tx.delete(w).where(inArray(w.id, ids));
    });
    logger.warn({ workers: ids }, 'took over the work of stopped workers');
    return ids;
  };

  const beat = async () => {
    if (database.kind === 'postgres') {
      // A reconnected session is a new one, without the lock: take it again (under a new key if
      // another process got ours meanwhile, which it could only after we were reaped).
      const [held] = await session.query<{ held: boolean }>(
        `select exists(select 1 from pg_locks where locktype = 'advisory' and pid = pg_backend_pid() and classid = $1 and objid = $2 and objsubid = 2 and granted) as held`,
        [LIVENESS_LOCK_NAMESPACE, key],
      );
      if (!held?.held) {
        heldHere.delete(key);
        key = await takeKey(session, key);
        heldHere.add(key);
        logger.warn({ key }, 'liveness lock lost with its connection; taken again');
      }
    }
    const updated = await db.update(t.worker).set({ heartbeatAt: clock.now(), lockKey: key }).where(eq(t.worker.id, me)).returning({ id: t.worker.id });
    // Reaped while the database was away (our lock was gone): register again.
    if (updated.length === 0) await register();
    await reap();
  };

  let stopped = false;
  let running: Promise<void> | undefined;
  const timer = setInterval(() => {
    if (running || stopped) return;
    running = beat()
      .catch((e: unknown) => logger.warn({ err: e }, 'liveness heartbeat failed'))
      .finally(() => (running = undefined));
  }, options.intervalMs ?? 2_000);
  timer.unref();

  return {
    workerId: me,
    reap,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
      heldHere.delete(key);
      await db
        .delete(t.worker)
        .where(and(eq(t.worker.id, me), eq(t.worker.lockKey, key)))
        .catch((e: unknown) => logger.warn({ err: e }, 'could not remove the worker row'));
      await session.query('select pg_advisory_unlock($1, $2)', [LIVENESS_LOCK_NAMESPACE, key]).catch(() => undefined);
      await session.close();
    },
  };
}

/** Takes a free liveness lock (`preferred` first); keys are positive so pg_locks' unsigned objid reads back equal. */
async function takeKey(session: LockSession, preferred?: number): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const key = attempt === 0 && preferred !== undefined ? preferred : randomInt(1, 2 ** 31 - 1);
    const [row] = await session.query<{ got: boolean }>('select pg_try_advisory_lock($1, $2) as got', [LIVENESS_LOCK_NAMESPACE, key]);
    if (row?.got) return key;
  }
  throw new Error('could not take a liveness lock');
}
