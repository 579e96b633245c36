import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createPublicUpdate } from '../../src/app/public-updates.ts';
import { unsubscribeByToken } from '../../src/app/unsubscribe.ts';
import * as t from '../../src/db/schema.ts';
import { claimDeliveries, deliveryKey } from '../../src/outbox/deliveries.ts';
import { createDeliveryWorker } from '../../src/outbox/delivery-worker.ts';
import type { DeliveryItem, PublishChannel } from '../../src/publish/channel.ts';
import { TerminalDeliveryError } from '../../src/publish/channel.ts';
import { ensureIncidentChannel } from '../../src/chat/incident-channel.ts';
import type { NeutralMessage } from '../../src/chat/message.ts';
import type { ChatPlatform } from '../../src/chat/platform.ts';
import { loadConfig } from '../../src/config.ts';
import { ManualClock } from '../../src/core/clock.ts';
import { createLogger } from '../../src/logger.ts';
import { createMetrics } from '../../src/metrics.ts';
import { createPublishingPart } from '../../src/publish/part.ts';
import { openRuntime } from '../../src/runtime.ts';
import { makeContext, snapshot, T0, testI18n } from '../app/helpers.ts';
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

/** A Slack-like platform in memory: every post, edit and announcement, in order; posts to `C-gone` are refused. */
class RecorderPlatform implements ChatPlatform {
  readonly platform = 'slack' as const;
  readonly log: { op: 'post' | 'update' | 'announce'; channelId?: string; messageId: string; message: NeutralMessage }[] = [];
  private next = 1;
  async openIncidentChannel(input: { slug: string }) {
    return { channelId: `C-${input.slug}` };
  }
  async post(channelId: string, message: NeutralMessage) {
    if (channelId === 'C-gone') throw new TerminalDeliveryError('channel_not_found');
    const messageId = `m${this.next++}`;
    this.log.push({ op: 'post', channelId, messageId, message });
    return messageId;
  }
  async update(channelId: string, messageId: string, message: NeutralMessage) {
    this.log.push({ op: 'update', channelId, messageId, message });
  }
  async upsertHeader(channelId: string, messageId: string | undefined, message: NeutralMessage) {
    return messageId ?? this.post(channelId, message);
  }
  async announce(message: NeutralMessage) {
    this.log.push({ op: 'announce', messageId: '', message });
  }
}

describeDb('publishing part: chat platforms on the runtime', () => {
  it('announces, posts to chat subscribers and reports progress as one message edited in place, then the failures', async () => {
    const runtime = await openRuntime(loadConfig({ LOCALES: 'en,ja', TEAM_TIME_ZONE: 'Asia/Tokyo' }), { database, clock: new ManualClock(T0), i18n: testI18n() });
    const ctx = runtime.app;
    const logger = createLogger({ level: 'silent' });
    const part = createPublishingPart({ runtime, logger, metrics: createMetrics() }, { worker: { batchSize: 2, progressEveryMs: 0 } });
    // Registered after the part was built: it looks platforms up when it delivers.
    const slack = new RecorderPlatform();
    runtime.chat!.register(slack);
    for (const address of ['C-one', 'C-two', 'C-three', 'C-gone']) await addSubscriber(database.db, { kind: 'slack', address });
    const { incidentId, updateId, number } = await publishSample(ctx);
    const channel = (await ensureIncidentChannel({ app: ctx, i18n: testI18n(), platform: slack, logger }, incidentId, author, []))!;
    slack.log.length = 0;

    await part.worker.drain();

    const states = (await deliveriesOf(database.db, updateId)).map((d) => `${d.target}:${d.state}`).sort();
    expect(states).toEqual(['announce:delivered', 'chat:dead', 'chat:delivered', 'chat:delivered', 'chat:delivered', 'statuspage:skipped']);
    expect(slack.log.filter((e) => e.op === 'announce')).toHaveLength(1);
    expect(slack.log.filter((e) => e.op === 'post' && e.channelId?.startsWith('C-t')).map((e) => e.channelId).sort()).toEqual(['C-three', 'C-two']);

    const inIncident = slack.log.filter((e) => e.channelId === channel.channelId);
    const posts = inIncident.filter((e) => e.op === 'post');
    const edits = inIncident.filter((e) => e.op === 'update');
    // One progress message, edited in place, then the final summary as a second post.
    expect(posts).toHaveLength(2);
    expect(edits.length).toBeGreaterThanOrEqual(1);
    expect(new Set(edits.map((e) => e.messageId))).toEqual(new Set([posts[0]!.messageId]));
    expect(posts[0]!.message.title).toBe(`Delivery of the public update of INC-${number}`);
    expect(edits.at(-1)!.message.lines).toEqual(['chat channels 3/4 · announcement ✓']);
    expect(posts[1]!.message.title).toBe(`Delivered the public update of INC-${number}`);
    expect(posts[1]!.message.lines).toEqual(['chat channels 3/4 · announcement ✓', '1 failed:', 'chat channels C-gone: channel_not_found']);
    const [progress] = await database.db.select().from(t.deliveryProgress).where(eq(t.deliveryProgress.updateId, updateId));
    expect(JSON.parse(progress!.messageRef!)).toEqual({ slack: posts[0]!.messageId });
  });

  it('skips chat targets while no platform is registered', async () => {
    const runtime = await openRuntime(loadConfig({ LOCALES: 'en,ja' }), { database, clock: new ManualClock(T0), i18n: testI18n() });
    const ctx = runtime.app;
    const part = createPublishingPart({ runtime, logger: createLogger({ level: 'silent' }), metrics: createMetrics() });
    await addSubscriber(database.db, { kind: 'slack', address: 'C-one' });
    const { updateId } = await publishSample(ctx);
    await part.worker.drain();
    const states = (await deliveriesOf(database.db, updateId)).map((d) => `${d.target}:${d.state}`).sort();
    expect(states).toEqual(['announce:skipped', 'chat:skipped', 'statuspage:skipped']);
  });
});
