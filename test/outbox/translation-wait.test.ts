import { afterAll, beforeAll, expect, it } from 'vitest';
import { draftPublicUpdate } from '../../src/app/draft-public-update.ts';
import { editTranslation } from '../../src/app/review-public-update.ts';
import type { ManualClock } from '../../src/core/clock.ts';
import { createDeliveryWorker } from '../../src/outbox/delivery-worker.ts';
import type { DeliveryItem, PublishChannel } from '../../src/publish/channel.ts';
import { webhookPayload } from '../../src/publish/webhook.ts';
import { declare, makeContext, metaOf } from '../app/helpers.ts';
import { createTestDatabase, describeDb, type TestDatabase } from '../helpers/database.ts';
import { addSubscriber, author, deliveriesOf } from '../publish/helpers.ts';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());

const WAIT_MS = 30_000;

/** A use-case context publishing at once, subscribers of a component of the test's own, and a worker recording what it sends. */
async function setup(kind: 'email' | 'webhook' = 'email') {
  const { ctx, clock } = makeContext(database.db, { publishApproval: 'off', translationWaitSeconds: WAIT_MS / 1000 });
  const c = `c-${Math.random().toString(36).slice(2, 10)}`;
  await addSubscriber(database.db, { kind, address: `ja-${c}`, lang: 'ja', components: [c], secret: 'whsec_dGVzdA==' });
  await addSubscriber(database.db, { kind, address: `en-${c}`, lang: 'en', components: [c], secret: 'whsec_dGVzdA==' });
  const sent: DeliveryItem[] = [];
  const channel: PublishChannel = { target: kind, deliver: async (item) => void sent.push(item) };
  const worker = createDeliveryWorker({ db: database.db, clock, channels: { [kind]: channel }, languages: ['en', 'ja'] });
  const { incidentId } = await declare(ctx, author, { components: [c] });
  const publish = async (text: string) => (await draftPublicUpdate(ctx, metaOf(author), incidentId, { text })).outcome.updateId;
  const to = (lang: string) => sent.filter((i) => i.recipient?.lang === lang);
  return { ctx, clock: clock as ManualClock, worker, publish, to, sent };
}

describeDb('deliveries waiting for a translation', () => {
  it('holds the Japanese delivery for the wait while the English one goes, and a person’s translation releases it', async () => {
    const s = await setup();
    const updateId = await s.publish('We are investigating.');
    await s.worker.drain();
    expect(s.to('en')).toHaveLength(1);
    expect(s.to('ja')).toHaveLength(0);
    await editTranslation(s.ctx, metaOf(author), updateId, { lang: 'ja', body: '調査しています。' });
    await s.worker.drain();
    expect(s.to('ja').map((i) => [i.update.bodies.ja, i.followUp])).toEqual([['調査しています。', undefined]]);
  });

  it('keeps each reader’s order: a later update waits behind the one waiting for its translation', async () => {
    const s = await setup();
    const first = await s.publish('First.');
    s.clock.advance(1_000);
    const second = await s.publish('Second.');
    await s.worker.drain();
    expect(s.to('en').map((i) => i.update.id)).toEqual([first, second]);
    expect(s.to('ja')).toHaveLength(0);
    await editTranslation(s.ctx, metaOf(author), second, { lang: 'ja', body: '二番目。' });
    await s.worker.drain();
    expect(s.to('ja')).toHaveLength(0);
    s.clock.advance(WAIT_MS);
    await s.worker.drain();
    expect(s.to('ja').map((i) => [i.update.id, i.update.bodies.ja ?? null])).toEqual([
      [first, null],
      [second, '二番目。'],
    ]);
  });

  it('sends the source past the wait, then the translation as a follow-up when it arrives', async () => {
    const s = await setup();
    const updateId = await s.publish('Calls fail.');
    s.clock.advance(WAIT_MS);
    await s.worker.drain();
    expect(s.to('ja').map((i) => [i.update.bodies.ja ?? null, i.followUp])).toEqual([[null, undefined]]);
    const parked = (await deliveriesOf(database.db, updateId)).filter((d) => d.idempotencyKey.endsWith(':translated:ja'));
    expect(parked.map((d) => [d.state, d.lastError])).toEqual([['skipped', 'awaiting translation']]);
    await editTranslation(s.ctx, metaOf(author), updateId, { lang: 'ja', body: '通話が失敗しています。' });
    await s.worker.drain();
    expect(s.to('ja').map((i) => [i.update.bodies.ja ?? null, i.followUp?.lang])).toEqual([
      [null, undefined],
      ['通話が失敗しています。', 'ja'],
    ]);
    expect(s.to('en')).toHaveLength(1);
  });

  it('holds webhooks until every language is there, and past the wait sends update.translated when one arrives', async () => {
    const s = await setup('webhook');
    const updateId = await s.publish('Calls fail.');
    await s.worker.drain();
    expect(s.sent).toHaveLength(0);
    s.clock.advance(WAIT_MS);
    await s.worker.drain();
    expect(s.sent.map((i) => webhookPayload(i.update, 'https://x', i.followUp).type)).toEqual(['incident.updated', 'incident.updated']);
    await editTranslation(s.ctx, metaOf(author), updateId, { lang: 'ja', body: '通話が失敗しています。' });
    await s.worker.drain();
    const followUps = s.sent.slice(2).map((i) => webhookPayload(i.update, 'https://x', i.followUp));
    expect(followUps.map((p) => [p.type, p.data.update.body, p.data.update.translated_lang])).toEqual([
      ['update.translated', { en: 'Calls fail.', ja: '通話が失敗しています。' }, 'ja'],
      ['update.translated', { en: 'Calls fail.', ja: '通話が失敗しています。' }, 'ja'],
    ]);
  });
});
