import type { Clock } from '../core/clock.ts';
import type { Db } from '../db/client.ts';
import { type PublishChannel, type PublishedUpdate, type Recipient, RetryableDeliveryError, type TargetName, TerminalDeliveryError } from '../publish/channel.ts';
import { type BackoffPolicy, DEFAULT_BACKOFF, retryDelay } from './backoff.ts';
import { type AttemptOutcome, type ClaimedDelivery, claimDeliveries, loadPublishedUpdate, loadRecipients, recordOutcome, toItem } from './deliveries.ts';
import { createPollLoop, type PollLoop } from './loop.ts';
import { type DeliveryReporter, reportProgress } from './progress.ts';

export interface DeliveryWorkerOptions {
  db: Db;
  clock: Clock;
  /** Configured targets; a delivery to a target without a channel is skipped. */
  channels: Partial<Record<TargetName, PublishChannel>>;
  reporter?: DeliveryReporter;
  /** A claim's lifetime: longer than any single delivery may take. */
  leaseMs?: number;
  batchSize?: number;
  /** Deliveries in flight at once within a batch. */
  concurrency?: number;
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
 * The delivery worker: every process runs one against the shared `delivery` table.
 * At-least-once per idempotency key: a delivery whose worker dies after the target
 * accepted it but before the outcome was written is attempted again once its lease
 * expires, with the same key (webhook-id, Message-ID), so targets can tell.
 */
export function createDeliveryWorker(options: DeliveryWorkerOptions): DeliveryWorker {
  const leaseMs = options.leaseMs ?? 120_000;
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  const onError = options.onError ?? (() => {});
  // Published updates do not change; their rendering inputs are cached per process.
  const updates = new Map<string, PublishedUpdate | undefined>();

  const getUpdate = async (id: string) => {
    if (!updates.has(id)) {
      if (updates.size > 100) updates.delete(updates.keys().next().value!);
      updates.set(id, await loadPublishedUpdate(options.db, id));
    }
    return updates.get(id);
  };

  const attempt = async (claimed: ClaimedDelivery, recipients: Map<string, Recipient>): Promise<AttemptOutcome> => {
    const update = await getUpdate(claimed.updateId);
    if (!update) return { state: 'skipped', reason: 'update not published' };
    const channel = options.channels[claimed.target];
    if (!channel) return { state: 'skipped', reason: 'target not configured' };
    const recipient = claimed.subscriberId ? recipients.get(claimed.subscriberId) : undefined;
    // Unsubscribed after the update was queued: honoured at once, nothing is sent.
    if (claimed.subscriberId && !recipient) return { state: 'skipped', reason: 'unsubscribed' };
    try {
      await channel.deliver(toItem(claimed, update, recipient));
      return { state: 'delivered' };
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e);
      if (e instanceof TerminalDeliveryError || claimed.attempts >= backoff.maxAttempts) return { state: 'dead', error };
      const retryAfterMs = e instanceof RetryableDeliveryError ? e.retryAfterMs : undefined;
      const delay = retryDelay(claimed.attempts, backoff, retryAfterMs, options.random);
      return { state: 'failed', error, retryAt: new Date(options.clock.now().getTime() + delay) };
    }
  };

  const runOnce = async (): Promise<number> => {
    const claimed = await claimDeliveries(options.db, options.clock.now(), leaseMs, options.batchSize ?? 250);
    if (claimed.length === 0) return 0;
    const recipients = await loadRecipients(options.db, [...new Set(claimed.flatMap((c) => (c.subscriberId ? [c.subscriberId] : [])))]);
    let next = 0;
    const lane = async () => {
      while (next < claimed.length) {
        const c = claimed[next++]!;
        try {
          const outcome = await attempt(c, recipients);
          await recordOutcome(options.db, c.id, outcome, options.clock.now());
        } catch (e) {
          // The database failed: the lease expires and the delivery is tried again.
          onError(e);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 50, claimed.length) }, lane));
    if (options.reporter) {
      for (const updateId of new Set(claimed.map((c) => c.updateId))) {
        const update = await getUpdate(updateId);
        if (!update) continue;
        await reportProgress(
          options.db,
          options.reporter,
          { updateId, incidentId: update.incidentId, incidentNumber: update.incidentNumber },
          options.clock.now(),
          options.progressEveryMs ?? 2_000,
        ).catch(onError);
      }
    }
    return claimed.length;
  };

  const loop = createPollLoop(runOnce, { intervalMs: options.intervalMs ?? 1_000, onError });
  return { ...loop, runOnce };
}
