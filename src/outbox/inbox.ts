import { randomUUID } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import type { Clock } from '../core/clock.ts';
import { storable } from '../core/model.ts';
import { type Db, rowsOf } from '../db/client.ts';
import * as t from '../db/schema.ts';
import type { Logger } from '../logger.ts';
import { type BackoffPolicy, retryDelay } from './backoff.ts';
import { PROCESS_WORKER_ID } from './liveness.ts';

/** A request as a platform delivered it, to be stored before it is acknowledged. */
export interface InboxRequest {
  platform: string;
  /** What the payload is (`command`, `block_action`, `app_mention`, …): picks its handler. */
  kind: string;
  /** The platform's delivery key (trigger_id, event_id, …), prefixed by the caller so kinds never collide. */
  deliveryKey: string;
  /** Requests of one lane are processed one at a time, in the order received (a person in a channel). */
  lane: string;
  payload: Record<string, unknown>;
}

/** A stored request, as its handler sees it. */
export interface InboxItem extends InboxRequest {
  id: string;
  /** 1 on the first processing. */
  attempt: number;
  receivedAt: Date;
}

/**
 * Stores a request in one INSERT; resolves once it is durable. A redelivery (same key)
 * stores nothing and says so. Throws when the database cannot take it: the caller must
 * then tell the platform's user that nothing was recorded.
 *
 * With a `deadline`, an INSERT that reaches the database after it (it waited for a
 * connection while the database was away) stores nothing and throws {@link TooLateError}:
 * a caller that gave up waiting at the deadline and told the user "not recorded" is never
 * contradicted by a row that lands afterwards and gets processed.
 */
export async function receive(db: Db, request: InboxRequest, at: Date, deadline?: Date): Promise<{ id: string; duplicate: boolean }> {
  const id = randomUUID();
  // Plain JSON (Bolt hands over objects without a prototype), storable in jsonb: NUL and lone
  // surrogates, which PostgreSQL refuses, become U+FFFD — kept, not refused (see `storable`).
  const payload = storable(JSON.parse(JSON.stringify(request.payload)) as Record<string, unknown>);
  const r = storable({ ...request, payload });
  const inserted = rowsOf<{ id: string }>(
    await db.execute(sql`
      insert into inbox (id, platform, kind, delivery_key, lane, payload, state, attempts, received_at)
      select ${id}::uuid, ${r.platform}, ${r.kind}, ${r.deliveryKey}, ${r.lane}, ${JSON.stringify(r.payload)}::jsonb, 'pending', 0, ${at.toISOString()}::timestamptz
      where ${deadline ? sql`clock_timestamp() < ${deadline.toISOString()}::timestamptz` : sql`true`}
      on conflict (delivery_key) do nothing
      returning id`),
  );
  if (inserted.length > 0) return { id, duplicate: false };
  const [existing] = await db.select({ id: t.inbox.id }).from(t.inbox).where(eq(t.inbox.deliveryKey, r.deliveryKey));
  if (existing) return { id: existing.id, duplicate: true };
  throw new TooLateError(r.deliveryKey);
}

/** The database took a request only after its deadline, and so did not store it. */
export class TooLateError extends Error {
  constructor(deliveryKey: string) {
    super(`request ${deliveryKey} reached the database after its deadline; not stored`);
    this.name = 'TooLateError';
  }
}

export type InboxHandler = (item: InboxItem) => Promise<void>;

export interface InboxWorkerOptions {
  db: Db;
  clock: Clock;
  logger: Logger;
  platform: string;
  /** By kind; a kind without a handler is marked dead (a request this version cannot read). */
  handlers: Record<string, InboxHandler>;
  /**
   * Requests processed at once (each in its own lane); 4 by default, so that most of the
   * connection pool (10) stays free for the acknowledgement path's INSERTs — commands on one
   * incident wait for its row lock one after another whatever this number is.
   */
  concurrency?: number;
  /** How often stored requests are looked for when nothing kicked the worker; 1 s by default. */
  intervalMs?: number;
  /** A claim's backstop lease; a dead worker's claims are released sooner by liveness. */
  leaseMs?: number;
  backoff?: BackoffPolicy;
}

/** The processor of stored requests: kicked after each store, polling for the rest (another process's, or a restart's). */
export interface InboxWorker {
  start(): void;
  /** Takes no new request and waits for those running. */
  stop(): Promise<void>;
  /** Looks for work now. */
  kick(): void;
  /** Processes until nothing is due and nothing runs (tests, the CLI). */
  drain(): Promise<void>;
}

/** Failures here are the database or the platform being away: retried soon, for a good while. */
export const INBOX_BACKOFF: BackoffPolicy = { baseMs: 1_000, maxMs: 60_000, maxAttempts: 15 };

export function createInboxWorker(options: InboxWorkerOptions): InboxWorker {
  const { db, clock, logger } = options;
  const concurrency = options.concurrency ?? 4;
  const leaseMs = options.leaseMs ?? 5 * 60_000;
  const backoff = options.backoff ?? INBOX_BACKOFF;
  const inFlight = new Set<Promise<void>>();
  let running = false;
  let pumping: Promise<void> | undefined;
  let again = false;
  let timer: NodeJS.Timeout | undefined;

  const claim = async (limit: number): Promise<InboxItem[]> => {
    const now = clock.now();
    const result = await db.execute(sql`
      update inbox set claimed_by = ${PROCESS_WORKER_ID}::uuid, attempts = attempts + 1,
                       next_attempt_at = ${new Date(now.getTime() + leaseMs).toISOString()}::timestamptz
      where id in (
        select i.id from inbox i
        where i.id in (
          -- The head of each lane: a lane whose head is claimed or waiting to retry waits with it.
          select distinct on (h.lane) h.id from inbox h
          where h.state = 'pending' and h.platform = ${options.platform}
          order by h.lane, h.received_at, h.id)
          and i.state = 'pending'
          and (i.next_attempt_at is null or i.next_attempt_at <= ${now.toISOString()}::timestamptz)
        order by i.received_at, i.id
        limit ${limit}
        for update skip locked)
      returning id, platform, kind, delivery_key, lane, payload, attempts, received_at`);
    return rowsOf<Record<string, unknown>>(result).map((r) => ({
      id: String(r.id),
      platform: String(r.platform),
      kind: String(r.kind),
      deliveryKey: String(r.delivery_key),
      lane: String(r.lane),
      payload: (typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload) as Record<string, unknown>,
      attempt: Number(r.attempts),
      receivedAt: new Date(r.received_at as string),
    }));
  };

  /** Records how a request ended; the database being away is waited out, so the outcome is never lost. */
  const finish = async (item: InboxItem, error: unknown): Promise<void> => {
    const i = t.inbox;
    const mine = and(eq(i.id, item.id), eq(i.claimedBy, PROCESS_WORKER_ID), eq(i.state, 'pending'));
    const now = clock.now();
    let set: Partial<typeof i.$inferInsert>;
    if (error === undefined) set = { state: 'done', doneAt: now, claimedBy: null, nextAttemptAt: null, lastError: null };
    else {
      const message = error instanceof Error ? error.message : String(error);
      if (item.attempt >= backoff.maxAttempts || error instanceof UnreadableRequestError) {
        logger.error({ err: error, request: item.deliveryKey, kind: item.kind }, 'gave up on a stored request');
        set = { state: 'dead', doneAt: now, claimedBy: null, nextAttemptAt: null, lastError: message };
      } else {
        logger.warn({ err: error, request: item.deliveryKey, attempt: item.attempt }, 'stored request failed; will retry');
        set = { claimedBy: null, nextAttemptAt: new Date(now.getTime() + retryDelay(item.attempt, backoff)), lastError: message };
      }
    }
    for (let wait = 250; ; wait = Math.min(wait * 2, 5_000)) {
      try {
        await db.update(i).set(set).where(mine);
        return;
      } catch (e) {
        if (!running) throw e;
        logger.warn({ err: e, request: item.deliveryKey }, 'could not record how a stored request ended; trying again');
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
  };

  const process1 = async (item: InboxItem): Promise<void> => {
    const handler = options.handlers[item.kind];
    let error: unknown;
    try {
      if (!handler) throw new UnreadableRequestError(`no handler for ${options.platform} ${item.kind}`);
      await handler(item);
    } catch (e) {
      error = e ?? new Error('handler failed');
    }
    await finish(item, error).catch((e: unknown) => logger.warn({ err: e, request: item.deliveryKey }, 'left a stored request for the next process'));
  };

  const pumpOnce = async (): Promise<void> => {
    while (running || draining) {
      const free = concurrency - inFlight.size;
      if (free <= 0) return;
      const items = await claim(free);
      if (items.length === 0) return;
      for (const item of items) {
        const p: Promise<void> = process1(item).finally(() => {
          inFlight.delete(p);
          kick();
        });
        inFlight.add(p);
      }
    }
  };

  let draining = false;
  const pump = (): Promise<void> => {
    if (pumping) {
      again = true;
      return pumping;
    }
    pumping = (async () => {
      do {
        again = false;
        try {
          await pumpOnce();
        } catch (e) {
          logger.warn({ err: e }, 'could not claim stored requests');
        }
      } while (again && (running || draining));
    })().finally(() => (pumping = undefined));
    return pumping;
  };

  function kick(): void {
    if (running || draining) void pump();
  }

  const schedule = () => {
    timer = setTimeout(() => {
      void pump().finally(() => {
        if (running) schedule();
      });
    }, options.intervalMs ?? 1_000);
    timer.unref();
  };

  return {
    start() {
      if (running) return;
      running = true;
      kick();
      schedule();
    },
    async stop() {
      running = false;
      if (timer) clearTimeout(timer);
      await pumping;
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
    kick,
    async drain() {
      draining = true;
      try {
        for (;;) {
          await pump();
          if (inFlight.size === 0) {
            // Nothing running: one more look, then done if nothing was claimed.
            await pump();
            if (inFlight.size === 0) return;
          }
          await Promise.race([...inFlight]);
        }
      } finally {
        draining = false;
      }
    },
  };
}

/** A request this version cannot process (unknown kind, unreadable payload): dead at once, not retried. */
export class UnreadableRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnreadableRequestError';
  }
}
