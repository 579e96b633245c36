import { performance } from 'node:perf_hooks';
import type { Clock } from '../core/clock.ts';
import type { Db } from '../db/client.ts';
import { type PublishChannel, type PublishedUpdate, type Recipient, RetryableDeliveryError, type TargetName, TerminalDeliveryError } from '../publish/channel.ts';
import { type BackoffPolicy, DEFAULT_BACKOFF, retryDelay } from './backoff.ts';
import { type AttemptOutcome, type ClaimedDelivery, claimDeliveries, loadPublishedUpdate, loadRecipients, recordOutcomes, toItem } from './deliveries.ts';
import { createPollLoop, type PollLoop } from './loop.ts';
import { type DeliveryReporter, reportProgress } from './progress.ts';

export interface DeliveryWorkerOptions {
  db: Db;
  clock: Clock;
  /** Configured targets; a delivery to a target without a channel is skipped. */
  channels: Partial<Record<TargetName, PublishChannel>>;
  /**
   * LOCALES, the team's first. Given, a delivery that goes out without its reader's
   * language (webhooks: without any configured one) parks a follow-up per missing language,
   * sent when the translation arrives; without it, nothing follows.
   */
  languages?: readonly string[];
  reporter?: DeliveryReporter;
  /** A claim's lifetime: longer than any single delivery may take. */
  leaseMs?: number;
  /** Deliveries of one target claimed at once. */
  batchSize?: number;
  /** Deliveries in flight at once per target: one number for all, or per target (see DEFAULT_CONCURRENCY). */
  concurrency?: number | Partial<Record<TargetName, number>>;
  intervalMs?: number;
  backoff?: BackoffPolicy;
  /** Least time between two edits of a progress message. */
  progressEveryMs?: number;
  onError?: (e: unknown) => void;
  random?: () => number;
}

export interface DeliveryWorker extends PollLoop {
  /** Claims one batch and delivers it; returns how many deliveries it attempted. */
  runOnce(): Promise<number>;
}

/**
 * Deliveries in flight per target. Each target has lanes of its own (a bulkhead), so a
 * target that hangs or crawls — webhook endpoints timing out, a slow SMTP relay — holds
 * only its own lanes, never another target's. Email: five per SMTP pool connection, so
 * the pool has the next message ready while lanes wait for their outcome to be written;
 * Statuspage: one (its API allows 1 req/s).
 */
export const DEFAULT_CONCURRENCY: Record<TargetName, number> = { email: 25, webhook: 40, chat: 8, announce: 2, statuspage: 1 };
const TARGETS = Object.keys(DEFAULT_CONCURRENCY) as TargetName[];

/** A claimed delivery with the subscriber it goes to (absent when unsubscribed since). */
interface Work {
  claimed: ClaimedDelivery;
  recipient: Recipient | undefined;
  /** `performance.now()` when the claim that handed it out began. */
  claimedAt: number;
}

/**
 * The delivery worker: every process runs one against the shared `delivery` table.
 * At-least-once per idempotency key: a delivery whose worker dies after the target
 * accepted it but before the outcome was written is attempted again once its lease
 * expires, with the same key (webhook-id, Message-ID), so targets can tell.
 *
 * Each target runs its own loop with its own lanes (DEFAULT_CONCURRENCY). While it runs,
 * deliveries flow without a stop between batches: the next batch is claimed while the
 * last quarter of the current one is still in flight, and outcomes are written by group
 * commit (one statement for every delivery that finished while the previous write was
 * under way), so the database costs a few statements per hundred deliveries instead of
 * one per delivery, and no outcome waits for a timer.
 */
export function createDeliveryWorker(options: DeliveryWorkerOptions): DeliveryWorker {
  const leaseMs = options.leaseMs ?? 120_000;
  const batchSize = options.batchSize ?? 250;
  const lanesFor = (target: TargetName) =>
    typeof options.concurrency === 'number' ? options.concurrency : (options.concurrency?.[target] ?? DEFAULT_CONCURRENCY[target]);
  const progressEveryMs = options.progressEveryMs ?? 2_000;
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  const onError = options.onError ?? (() => {});
  // Rendering inputs of the updates being delivered, cached per process. Only translations
  // change once published: an entry lacking a language a delivery needs is read again when
  // it was read before that delivery was claimed (a translation releases its deliveries in
  // the transaction that writes it, so a read begun after the claim sees it). A fan-out
  // sent untranslated thus reads the update at most once per claimed batch.
  const updates = new Map<string, Promise<PublishedUpdate | undefined>>();
  const loadedAt = new Map<string, number>();
  const recorder = createOutcomeRecorder(options.db, options.clock);
  const progress = createProgressReporting(options, progressEveryMs, onError, (id) => getUpdate(id));

  const getUpdate = (id: string, fresh = false): Promise<PublishedUpdate | undefined> => {
    let update = updates.get(id);
    if (!update || fresh) {
      if (updates.size > 100) {
        const oldest = updates.keys().next().value!;
        updates.delete(oldest);
        loadedAt.delete(oldest);
      }
      update = loadPublishedUpdate(options.db, id);
      update.catch(() => updates.delete(id));
      updates.set(id, update);
      loadedAt.set(id, performance.now());
    }
    return update;
  };

  /** The update with the languages `needed`, read again when the cached one lacks some and was read before `claimedAt`. */
  const getUpdateWith = async (id: string, needed: readonly string[], claimedAt: number): Promise<PublishedUpdate | undefined> => {
    const update = await getUpdate(id);
    if (!update || needed.every((lang) => update.bodies[lang] !== undefined)) return update;
    // Another lane may have started a fresher read meanwhile: that one is used, not a third.
    return getUpdate(id, (loadedAt.get(id) ?? 0) < claimedAt);
  };

  /** The languages a delivery is written in: a reader's, every one for webhooks, the team's for Statuspage and the announcement. */
  const neededLangs = (claimed: ClaimedDelivery, recipient: Recipient | undefined): readonly string[] => {
    const languages = options.languages;
    if (!languages || languages.length === 0) return [];
    if (claimed.followUpLang) return [claimed.followUpLang];
    if (claimed.target === 'webhook') return languages;
    if (!recipient) return [languages[0]!];
    return [languages.includes(recipient.lang) ? recipient.lang : languages[0]!];
  };

  const attempt = async ({ claimed, recipient, claimedAt }: Work): Promise<AttemptOutcome> => {
    const needed = neededLangs(claimed, recipient);
    const update = await getUpdateWith(claimed.updateId, needed, claimedAt);
    if (!update) return { state: 'skipped', reason: 'update not published' };
    const channel = options.channels[claimed.target];
    if (!channel) return { state: 'skipped', reason: 'target not configured' };
    // Unsubscribed after the update was queued: honoured at once, nothing is sent.
    if (claimed.subscriberId && !recipient) return { state: 'skipped', reason: 'unsubscribed' };
    const untranslated = needed.filter((lang) => update.bodies[lang] === undefined);
    // A follow-up is released by its translation; one that is not there was never written (a source edit made it stale).
    if (claimed.followUpLang && untranslated.length > 0) return { state: 'skipped', reason: 'translation missing' };
    try {
      await channel.deliver(toItem(claimed, update, recipient));
      return claimed.followUpLang || untranslated.length === 0 ? { state: 'delivered' } : { state: 'delivered', untranslated };
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e);
      if (e instanceof TerminalDeliveryError || claimed.attempts >= backoff.maxAttempts) return { state: 'dead', error };
      const retryAfterMs = e instanceof RetryableDeliveryError ? e.retryAfterMs : undefined;
      const delay = retryDelay(claimed.attempts, backoff, retryAfterMs, options.random);
      return { state: 'failed', error, retryAt: new Date(options.clock.now().getTime() + delay) };
    }
  };

  const claim = async (target: TargetName): Promise<Work[]> => {
    const claimedAt = performance.now();
    const claimed = await claimDeliveries(options.db, options.clock.now(), leaseMs, batchSize, target);
    if (claimed.length === 0) return [];
    const recipients = await loadRecipients(options.db, [...new Set(claimed.flatMap((c) => (c.subscriberId ? [c.subscriberId] : [])))]);
    return claimed.map((c) => ({ claimed: c, recipient: c.subscriberId ? recipients.get(c.subscriberId) : undefined, claimedAt }));
  };

  /** Delivers what `next` hands out with `lanes` lanes; resolves when it hands out nothing more. */
  const deliverFrom = async (lanes: number, next: () => Promise<Work | undefined>): Promise<number> => {
    let handled = 0;
    const lane = async () => {
      for (let work = await next(); work; work = await next()) {
        handled += 1;
        try {
          await recorder.record(work.claimed.id, await attempt(work));
          progress.touched(work.claimed.updateId);
        } catch (e) {
          // The database failed: the lease expires and the delivery is tried again.
          onError(e);
        }
      }
    };
    await Promise.all(Array.from({ length: lanes }, lane));
    return handled;
  };

  /** One batch per target: claimed once, delivered whole. */
  const runOnce = async (): Promise<number> => {
    const counts = await Promise.all(
      TARGETS.map(async (target) => {
        const batch = await claim(target);
        return batch.length === 0 ? 0 : deliverFrom(lanesFor(target), async () => batch.shift());
      }),
    );
    await progress.flush();
    return counts.reduce((a, b) => a + b, 0);
  };

  /**
   * Batch after batch until a claim finds nothing due. The next claim starts once a
   * quarter of a batch is left to hand out, so lanes do not idle while it runs.
   */
  const runUntilEmpty = async (target: TargetName): Promise<number> => {
    const queue: Work[] = [];
    let claiming: Promise<void> | undefined;
    let exhausted = false;
    let failure: unknown;
    const refill = () =>
      (claiming ??= claim(target)
        .then((batch) => {
          if (batch.length === 0) exhausted = true;
          queue.push(...batch);
        })
        .catch((e) => {
          failure ??= e;
          exhausted = true;
        })
        .finally(() => {
          claiming = undefined;
        }));
    const next = async (): Promise<Work | undefined> => {
      for (;;) {
        if (!exhausted && queue.length <= batchSize / 4) void refill();
        if (queue.length > 0) return queue.shift();
        if (exhausted) return undefined;
        await claiming;
      }
    };
    const handled = await deliverFrom(lanesFor(target), next);
    // Out of work: whoever recorded an update's last outcome reports its final summary.
    await progress.flush();
    if (failure !== undefined) throw failure;
    return handled;
  };

  const loops = TARGETS.map((target) => createPollLoop(() => runUntilEmpty(target), { intervalMs: options.intervalMs ?? 1_000, onError }));
  return {
    runOnce,
    start: () => loops.forEach((loop) => loop.start()),
    stop: async () => {
      await Promise.all(loops.map((loop) => loop.stop()));
    },
    drain: async () => {
      await Promise.all(loops.map((loop) => loop.drain()));
    },
    kick: () => loops.forEach((loop) => loop.kick()),
  };
}

/**
 * Group commit for outcomes: the first outcome is written at once; those that arrive
 * while a write is under way go together in the next one. `record` resolves when the
 * outcome is in the database and rejects when its write failed.
 */
function createOutcomeRecorder(db: Db, clock: Clock) {
  type Waiting = { id: string; outcome: AttemptOutcome; resolve: () => void; reject: (e: unknown) => void };
  let pending: Waiting[] = [];
  let writing = false;

  const write = async () => {
    writing = true;
    while (pending.length > 0) {
      const batch = pending;
      pending = [];
      try {
        await recordOutcomes(db, batch, clock.now());
        for (const w of batch) w.resolve();
      } catch (e) {
        for (const w of batch) w.reject(e);
      }
    }
    writing = false;
  };

  return {
    record(id: string, outcome: AttemptOutcome): Promise<void> {
      return new Promise<void>((resolve, reject) => {
        pending.push({ id, outcome, resolve, reject });
        if (!writing) void write();
      });
    },
  };
}

/**
 * Progress of the updates this worker touched: reported at most every `everyMs` while
 * deliveries flow (without holding up a lane) and once more when the worker runs out of
 * work, so whoever records the last outcome of an update posts its final summary.
 */
function createProgressReporting(
  options: DeliveryWorkerOptions,
  everyMs: number,
  onError: (e: unknown) => void,
  getUpdate: (id: string) => Promise<PublishedUpdate | undefined>,
) {
  const touched = new Set<string>();
  let lastReport = performance.now();
  let reporting: Promise<void> | undefined;

  const report = async () => {
    const reporter = options.reporter;
    const ids = [...touched];
    touched.clear();
    lastReport = performance.now();
    if (!reporter) return;
    for (const updateId of ids) {
      try {
        const update = await getUpdate(updateId);
        if (!update) continue;
        const ref = { updateId, incidentId: update.incidentId, incidentNumber: update.incidentNumber };
        await reportProgress(options.db, reporter, ref, options.clock.now(), everyMs);
      } catch (e) {
        onError(e);
      }
    }
  };
  const start = () => (reporting ??= report().finally(() => (reporting = undefined)));

  return {
    touched(updateId: string) {
      touched.add(updateId);
      if (!reporting && performance.now() - lastReport >= everyMs) void start();
    },
    async flush() {
      await reporting;
      if (touched.size > 0) await start();
    },
  };
}
