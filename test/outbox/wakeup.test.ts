import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { createLogger } from '../../src/logger.ts';
import { createDeliveryWorker } from '../../src/outbox/delivery-worker.ts';
import { createJobRunner, defineJob, enqueueJob } from '../../src/outbox/job-runner.ts';
import { listenForWork } from '../../src/outbox/wakeup.ts';
import type { DeliveryItem, PublishChannel } from '../../src/publish/channel.ts';
import { makeContext } from '../app/helpers.ts';
import { createTestDatabase, describeDb, type TestDatabase } from '../helpers/database.ts';
import { addSubscriber, publishSample } from '../publish/helpers.ts';

const logger = createLogger({ level: 'silent' });
/** Longer than any test here waits: only a notification can explain work done in time. */
const NEVER_POLL_MS = 600_000;

let database: TestDatabase;
beforeEach(async () => {
  database = await createTestDatabase();
});
afterEach(() => database.drop());

describeDb('outbox: workers woken by NOTIFY instead of their poll', () => {
  it('a delivery worker asleep on its poll delivers as soon as an update is published', async () => {
    const { ctx, clock } = makeContext(database.db);
    await addSubscriber(database.db, { kind: 'email', address: 'reader@example.com' });
    const items: DeliveryItem[] = [];
    const email: PublishChannel = { target: 'email', deliver: async (item) => void items.push(item) };
    const worker = createDeliveryWorker({ db: database.db, clock, channels: { email }, intervalMs: NEVER_POLL_MS });
    const unlisten = await listenForWork(database, 'delivery', () => worker.kick(), logger);
    worker.start();
    try {
      // The loops' first look finds nothing; they sleep until the poll, or a kick.
      await new Promise((resolve) => setTimeout(resolve, 200));
      await publishSample(ctx);
      await vi.waitFor(() => expect(items).toHaveLength(1), { timeout: 10_000, interval: 20 });
    } finally {
      await unlisten();
      await worker.stop();
    }
  });

  it('a job runner asleep on its poll runs a job enqueued for now at once, and not a rolled-back one', async () => {
    const { clock } = makeContext(database.db);
    const PING = defineJob({ name: 'test.ping', version: 1, payload: z.object({ n: z.number() }) });
    const runner = createJobRunner({ db: database.db, database, clock, logger, pollMs: NEVER_POLL_MS });
    const seen: number[] = [];
    runner.register(PING, async ({ n }) => void seen.push(n));
    runner.start();
    try {
      await new Promise((resolve) => setTimeout(resolve, 200));
      await database.db
        .transaction(async (tx) => {
          await enqueueJob(tx, PING, { n: 1 }, { key: 'ping-rolled-back', runAt: clock.now() });
          throw new Error('roll back');
        })
        .catch(() => undefined);
      await enqueueJob(database.db, PING, { n: 2 }, { key: 'ping', runAt: clock.now() });
      await vi.waitFor(() => expect(seen).toEqual([2]), { timeout: 10_000, interval: 20 });
    } finally {
      await runner.stop();
    }
  });

  it('refuses a payload its schema rejects when it is enqueued', async () => {
    const { clock } = makeContext(database.db);
    const PING = defineJob({ name: 'test.ping.strict', version: 1, payload: z.object({ n: z.number() }) });
    await expect(enqueueJob(database.db, PING, { n: 'one' } as never, { key: 'bad', runAt: clock.now() })).rejects.toThrow();
  });
});
