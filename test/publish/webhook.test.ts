import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import { createDeliveryWorker } from '../../src/outbox/delivery-worker.ts';
import { type DeliveryProgress, renderProgress } from '../../src/outbox/progress.ts';
import type { PublishChannel } from '../../src/publish/channel.ts';
import { createWebhookChannel, WEBHOOK_TIMEOUT_MS } from '../../src/publish/webhook.ts';
import { disableSubscriber } from '../../src/app/unsubscribe.ts';
import * as schema from '../../src/db/schema.ts';
import { eq } from 'drizzle-orm';
import { makeContext, testI18n } from '../app/helpers.ts';
import { createTestDatabase, describeDb, type TestDatabase } from '../helpers/database.ts';
import { webhookReceiver } from '../helpers/webhook-receiver.ts';
import { addSubscriber, deliveriesOf, newWebhookSecretForTest, publishSample } from './helpers.ts';

const secret = newWebhookSecretForTest();
// Receivers reject signatures older than 5 minutes: the signing timestamp is the real time.
const wallClock = { now: () => new Date() };

const hook = webhookReceiver<{ data: { update: { body: Record<string, string> } } }>(secret);
let database: TestDatabase;
beforeAll(() => hook.start());
afterAll(() => hook.stop());
beforeEach(async () => {
  database = await createTestDatabase();
  hook.received.length = 0;
  hook.rejected.length = 0;
  hook.script.length = 0;
});
afterEach(() => database.drop());

async function webhookSubscribers(n: number) {
  for (let i = 0; i < n; i++) await addSubscriber(database.db, { kind: 'webhook', address: `${hook.url}?s=${i}`, secret });
}

describeDb('webhook target', () => {
  it('signs per Standard Webhooks and sends every language', async () => {
    const { ctx, clock } = makeContext(database.db);
    await webhookSubscribers(1);
    const { updateId } = await publishSample(ctx, { en: 'Investigating.', ja: '調査中です。' });
    const channel = createWebhookChannel({ clock: wallClock, publicUrl: 'https://status.example.com' });
    await createDeliveryWorker({ db: database.db, clock, channels: { webhook: channel } }).drain();
    expect(hook.rejected).toEqual([]);
    expect(hook.received).toHaveLength(1);
    expect(hook.received[0]!.id).toMatch(new RegExp(`^update:${updateId}:webhook:`));
    expect(hook.received[0]!.payload.data.update.body).toEqual({ en: 'Investigating.', ja: '調査中です。' });
  });

  it('retries a 500 and delivers once the receiver recovers', async () => {
    const { ctx, clock } = makeContext(database.db);
    await webhookSubscribers(1);
    const { updateId } = await publishSample(ctx);
    hook.script.push({ status: 500 }, { status: 503 });
    const channel = createWebhookChannel({ clock: wallClock, publicUrl: 'https://status.example.com' });
    const worker = createDeliveryWorker({ db: database.db, clock, channels: { webhook: channel }, random: () => 0 });
    for (let i = 0; i < 3; i++) {
      await worker.drain();
      clock.advance(60 * 60_000);
    }
    const [row] = (await deliveriesOf(database.db, updateId)).filter((d) => d.target === 'webhook');
    expect(row).toMatchObject({ state: 'delivered', attempts: 3 });
    expect(hook.received).toHaveLength(1);
  });

  it('waits at least the Retry-After of a 429', async () => {
    const { ctx, clock } = makeContext(database.db);
    await webhookSubscribers(1);
    const { updateId } = await publishSample(ctx);
    hook.script.push({ status: 429, headers: { 'retry-after': '600' } });
    const channel = createWebhookChannel({ clock: wallClock, publicUrl: 'https://status.example.com' });
    const worker = createDeliveryWorker({ db: database.db, clock, channels: { webhook: channel }, random: () => 0 });
    await worker.drain();
    const [row] = (await deliveriesOf(database.db, updateId)).filter((d) => d.target === 'webhook');
    expect(row?.state).toBe('failed');
    expect(row!.nextAttemptAt!.getTime() - clock.now().getTime()).toBeGreaterThanOrEqual(600_000);
    clock.advance(599_000);
    await worker.drain();
    expect(hook.received).toHaveLength(0);
    clock.advance(1_000);
    await worker.drain();
    expect(hook.received).toHaveLength(1);
  });

  it('sends a 4xx answer to the dead state at once and reports it in the final summary', async () => {
    const { ctx, clock } = makeContext(database.db);
    await webhookSubscribers(1);
    await publishSample(ctx);
    hook.script.push({ status: 410 });
    const reports: DeliveryProgress[] = [];
    const channel = createWebhookChannel({ clock: wallClock, publicUrl: 'https://status.example.com' });
    await createDeliveryWorker({ db: database.db, clock, channels: { webhook: channel }, reporter: { progress: async (p) => (reports.push(p), 'm1') } }).drain();
    const final = reports.at(-1)!;
    expect(final.final).toBe(true);
    expect(final.failureCount).toBe(1);
    expect(final.failures[0]!.error).toMatch(/^HTTP 410/);
  });

  it('disables an endpoint answering 410 Gone: the report says so and the next update skips it', async () => {
    const { ctx, clock } = makeContext(database.db);
    await webhookSubscribers(2);
    await publishSample(ctx);
    // The first subscriber's endpoint is gone; the second one receives.
    hook.script.push({ status: 410 });
    const reports: DeliveryProgress[] = [];
    const channel = createWebhookChannel({
      clock: wallClock,
      publicUrl: 'https://status.example.com',
      onGone: (recipient) => disableSubscriber(database.db, recipient.id, clock.now()),
    });
    const worker = createDeliveryWorker({ db: database.db, clock, channels: { webhook: channel }, concurrency: 1, reporter: { progress: async (p) => (reports.push(p), 'm1') } });
    await worker.drain();
    const final = reports.at(-1)!;
    expect(final.failureCount).toBe(1);
    expect(final.failures[0]!.error).toMatch(/^HTTP 410.*endpoint disabled/);
    const rows = await database.db.select().from(schema.subscriber).where(eq(schema.subscriber.kind, 'webhook'));
    expect(rows.filter((r) => !r.confirmed)).toHaveLength(1);
    const disabled = rows.find((r) => !r.confirmed)!;
    hook.received.length = 0;
    clock.advance(60_000);
    const { updateId: second } = await publishSample(ctx);
    await worker.drain();
    expect(hook.received).toHaveLength(1);
    const skipped = (await deliveriesOf(database.db, second)).find((d) => d.subscriberId === disabled.id);
    expect(skipped?.state ?? 'not queued').not.toBe('delivered');
  });

  it('waits 15 s for an answer, within the Standard Webhooks 15–30 s', () => {
    expect(WEBHOOK_TIMEOUT_MS).toBe(15_000);
  });

  it('delivers every webhook once after a worker dies mid-fan-out, repeating only under the same id', async () => {
    const { ctx, clock } = makeContext(database.db);
    await webhookSubscribers(20);
    const { updateId } = await publishSample(ctx);
    const real = createWebhookChannel({ clock: wallClock, publicUrl: 'https://status.example.com' });
    let sent = 0;
    // The first worker sends 8, then "dies": it never finishes the rest of its claims,
    // and the 8th is sent without its outcome being recorded.
    const dying: PublishChannel = {
      target: 'webhook',
      async deliver(item) {
        if (sent >= 8) return new Promise<void>(() => {});
        sent += 1;
        await real.deliver(item);
        if (sent === 8) return new Promise<void>(() => {});
      },
    };
    const first = createDeliveryWorker({ db: database.db, clock, channels: { webhook: dying }, batchSize: 12, concurrency: 1, leaseMs: 60_000 });
    void first.runOnce();
    await expect.poll(() => hook.received.length).toBe(8);
    const second = createDeliveryWorker({ db: database.db, clock, channels: { webhook: real }, leaseMs: 60_000 });
    await second.drain();
    // What the dead worker still holds waits for its lease to expire.
    expect(new Set(hook.received.map((r) => r.id)).size).toBeLessThan(20);
    clock.advance(60_000);
    await second.drain();
    const ids = hook.received.map((r) => r.id);
    expect(new Set(ids).size).toBe(20);
    expect(ids.length).toBe(21); // the one sent by the dead worker, again, under its own id
    const states = (await deliveriesOf(database.db, updateId)).filter((d) => d.target === 'webhook').map((d) => d.state);
    expect(states).toEqual(Array(20).fill('delivered'));
  });

  it('two workers sharing the queue make each delivery once', async () => {
    const { ctx, clock } = makeContext(database.db);
    await webhookSubscribers(40);
    await publishSample(ctx);
    const real = createWebhookChannel({ clock: wallClock, publicUrl: 'https://status.example.com' });
    const a = createDeliveryWorker({ db: database.db, clock, channels: { webhook: real }, batchSize: 5, concurrency: 2 });
    const b = createDeliveryWorker({ db: database.db, clock, channels: { webhook: real }, batchSize: 5, concurrency: 2 });
    await Promise.all([a.drain(), b.drain()]);
    const ids = hook.received.map((r) => r.id);
    expect(ids.length).toBe(40);
    expect(new Set(ids).size).toBe(40);
  });

  it('shows progress as one line per target', async () => {
    const { ctx, clock } = makeContext(database.db);
    await webhookSubscribers(3);
    await publishSample(ctx);
    const reports: DeliveryProgress[] = [];
    const channel = createWebhookChannel({ clock: wallClock, publicUrl: 'https://status.example.com' });
    const statuspage: PublishChannel = { target: 'statuspage', deliver: async () => {} };
    await createDeliveryWorker({ db: database.db, clock, channels: { webhook: channel, statuspage }, reporter: { progress: async (p, ref) => (reports.push(p), ref ?? 'm1') } }).drain();
    const final = reports.at(-1)!;
    expect(renderProgress(final, testI18n(), 'en').lines![0]).toBe('webhooks 3/3 · Statuspage ✓');
    expect(renderProgress(final, testI18n(), 'ja').lines![0]).toBe('Webhook 3/3 · Statuspage ✓');
  });
});
