import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createPublicUpdate } from '../../src/app/public-updates.ts';
import { unsubscribeByToken } from '../../src/app/unsubscribe.ts';
import * as t from '../../src/db/schema.ts';
import { claimDeliveries, deliveryKey } from '../../src/outbox/deliveries.ts';
import { createDeliveryWorker } from '../../src/outbox/delivery-worker.ts';
import type { DeliveryItem, PublishChannel } from '../../src/publish/channel.ts';
import { makeContext, snapshot } from '../app/helpers.ts';
import { createTestDatabase, describeDb, type TestDatabase } from '../helpers/database.ts';
import { addSubscriber, author, deliveriesOf, publishSample } from '../publish/helpers.ts';

let database: TestDatabase;
beforeEach(async () => {
  database = await createTestDatabase();
});
afterEach(() => database.drop());

/** A channel that records what it was asked to deliver. */
function recording(target: PublishChannel['target']): PublishChannel & { items: DeliveryItem[] } {
  const items: DeliveryItem[] = [];
  return { target, items, deliver: async (item) => void items.push(item) };
}

describeDb('outbox: enqueue on publish', () => {
  it('writes one delivery per target × confirmed subscriber with deterministic keys', async () => {
    const { ctx } = makeContext(database.db);
    const a = await addSubscriber(database.db, { kind: 'email', address: 'a@example.com' });
    const w = await addSubscriber(database.db, { kind: 'webhook', address: 'http://127.0.0.1:9/hook', secret: 'whsec_x' });
    await addSubscriber(database.db, { kind: 'email', address: 'unconfirmed@example.com', confirmed: false });
    const { updateId } = await publishSample(ctx);
    const keys = (await deliveriesOf(database.db, updateId)).map((d) => d.idempotencyKey).sort();
    expect(keys).toEqual(
      [
        deliveryKey(updateId, 'email', a.id),
        deliveryKey(updateId, 'webhook', w.id),
        deliveryKey(updateId, 'statuspage'),
        deliveryKey(updateId, 'announce'),
      ].sort(),
    );
  });

  it('honours component filters: only subscribers of an affected component (or of all) get it', async () => {
    const { ctx } = makeContext(database.db);
    const all = await addSubscriber(database.db, { kind: 'email', address: 'all@example.com' });
    const api = await addSubscriber(database.db, { kind: 'email', address: 'api@example.com', components: ['console', 'api'] });
    await addSubscriber(database.db, { kind: 'email', address: 'sms@example.com', components: ['sms'] });
    const { updateId } = await publishSample(ctx, { components: ['api'] });
    const subscribers = (await deliveriesOf(database.db, updateId)).flatMap((d) => (d.subscriberId ? [d.subscriberId] : [])).sort();
    expect(subscribers).toEqual([all.id, api.id].sort());
  });

  it('enqueues nothing for a draft, and everything once it is published', async () => {
    const { ctx } = makeContext(database.db);
    await addSubscriber(database.db, { kind: 'email', address: 'a@example.com' });
    const { incidentId } = await publishSample(ctx);
    const incident = await snapshot(database.db, incidentId);
    const drafted = await database.db.transaction((tx) => createPublicUpdate(tx, ctx, incident, { status: 'identified', body: 'Found it.', actor: author, now: ctx.clock.now() }));
    expect(await deliveriesOf(database.db, drafted.updateId)).toHaveLength(0);
  });
});

describeDb('outbox: worker', () => {
  it('delivers every queued delivery once and marks it delivered', async () => {
    const { ctx, clock } = makeContext(database.db);
    for (let i = 0; i < 5; i++) await addSubscriber(database.db, { kind: 'email', address: `s${i}@example.com` });
    const { updateId } = await publishSample(ctx);
    const email = recording('email');
    const worker = createDeliveryWorker({ db: database.db, clock, channels: { email }, batchSize: 2 });
    await worker.drain();
    expect(email.items.map((i) => i.recipient?.address).sort()).toEqual(['s0@example.com', 's1@example.com', 's2@example.com', 's3@example.com', 's4@example.com']);
    const states = (await deliveriesOf(database.db, updateId)).map((d) => `${d.target}:${d.state}`).sort();
    expect(states).toEqual([...Array(5).fill('email:delivered'), 'announce:skipped', 'statuspage:skipped'].sort());
  });

  it('never lets a later update overtake an earlier one at the same target and subscriber', async () => {
    const { ctx, clock } = makeContext(database.db);
    await addSubscriber(database.db, { kind: 'email', address: 'a@example.com' });
    const first = await publishSample(ctx, { en: 'first' });
    clock.advance(60_000);
    const second = await publishSample(ctx, { incidentId: first.incidentId, en: 'second' });
    // The first delivery is claimed (leased) and unfinished: the second must wait for it.
    const claimed = await claimDeliveries(database.db, clock.now(), 60_000, 100);
    expect(claimed.filter((c) => c.target === 'email').map((c) => c.updateId)).toEqual([first.updateId]);
    clock.advance(60_000);
    const email = recording('email');
    await createDeliveryWorker({ db: database.db, clock, channels: { email } }).drain();
    expect(email.items.map((i) => i.update.id)).toEqual([first.updateId, second.updateId]);
  });

  it('skips the queued deliveries of a subscriber who unsubscribed', async () => {
    const { ctx, clock } = makeContext(database.db);
    const gone = await addSubscriber(database.db, { kind: 'email', address: 'gone@example.com' });
    await addSubscriber(database.db, { kind: 'email', address: 'stays@example.com' });
    const { updateId } = await publishSample(ctx);
    expect(await unsubscribeByToken(database.db, gone.token, clock.now())).toBe(true);
    const email = recording('email');
    await createDeliveryWorker({ db: database.db, clock, channels: { email } }).drain();
    expect(email.items.map((i) => i.recipient?.address)).toEqual(['stays@example.com']);
    const [row] = await database.db.select().from(t.delivery).where(eq(t.delivery.subscriberId, gone.id));
    expect(row?.state).toBe('skipped');
    expect((await deliveriesOf(database.db, updateId)).filter((d) => d.state === 'delivered')).toHaveLength(1);
    expect(await unsubscribeByToken(database.db, 'no-such-token', clock.now())).toBe(false);
  });
});
