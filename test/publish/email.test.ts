import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { createDeliveryWorker } from '../../src/outbox/delivery-worker.ts';
import { createEmailChannel, type EmailChannel } from '../../src/publish/email.ts';
import { draftPublicUpdate } from '../../src/app/draft-public-update.ts';
import { publishUpdate } from '../../src/app/review-public-update.ts';
import { declare, makeContext, metaOf, person, testI18n } from '../app/helpers.ts';
import { createTestDatabase, describeDb, type TestDatabase } from '../helpers/database.ts';
import { smtpSink } from '../helpers/smtp-sink.ts';
import { addSubscriber, deliveriesOf, publishSample } from './helpers.ts';

let database: TestDatabase;
const sink = smtpSink();
let channel: EmailChannel;
beforeAll(async () => {
  database = await createTestDatabase();
  await sink.start();
  channel = createEmailChannel({ smtpUrl: `smtp://127.0.0.1:${sink.port}`, from: 'Status <status@example.com>', publicUrl: 'https://status.example.com', i18n: testI18n() });
});
afterEach(() => {
  sink.mails.length = 0;
});
afterAll(async () => {
  await channel.close?.();
  await sink.stop().catch(() => {});
  await database.drop();
});

// Each test's subscribers filter on a component of their own, so tests sharing the database do not see each other's mail.
let seq = 0;
const component = () => `c${++seq}-${Math.random().toString(36).slice(2, 8)}`;

describeDb('email target (SMTP)', () => {
  it('sends a Japanese subscriber the Japanese text in Japan time, byte for byte', async () => {
    const { ctx, clock } = makeContext(database.db);
    const c = component();
    const sub = await addSubscriber(database.db, { kind: 'email', address: 'tanaka@example.jp', lang: 'ja', timeZone: 'Asia/Tokyo', components: [c] });
    const { number, incidentId } = await publishSample(ctx, { components: [c], ja: 'EU リージョンで API のエラー率が上昇しています。\n原因を調査中です。' });
    await createDeliveryWorker({ db: database.db, clock, channels: { email: channel } }).drain();
    expect(sink.mails).toHaveLength(1);
    const mail = sink.mails[0]!;
    expect(mail.subject).toBe(`[INC-${number}] API errors in EU: 調査中`);
    expect(mail.text).toBe(
      [
        `INC-${number} API errors in EU`,
        '',
        '状態: 調査中',
        '2026/2/27 0:00 (JST) 追記',
        `影響: ${c} (全面停止)`,
        '',
        'EU リージョンで API のエラー率が上昇しています。\n原因を調査中です。',
        '',
        `ステータスページ: https://status.example.com/status/incidents/${incidentId}?lang=ja`,
        `配信停止: https://status.example.com/status/unsubscribe?token=${sub.token}`,
        '',
      ].join('\n'),
    );
    expect(mail.html).toContain('EU リージョンで API のエラー率が上昇しています。');
    expect(mail.html).toContain('<html lang="ja">');
    expect(mail.headers.get('content-language')).toBe('ja');
  });

  it('labels untranslated text as the original, naming its language (原文（英語）)', async () => {
    const { ctx, clock } = makeContext(database.db);
    const c = component();
    await addSubscriber(database.db, { kind: 'email', address: 'sato@example.jp', lang: 'ja', timeZone: 'Asia/Tokyo', components: [c] });
    const author = person('Aiko');
    const { incidentId } = await declare(ctx, author, { title: 'Login failures', components: [c], impact: 'major_outage' });
    const { updateId } = (await draftPublicUpdate(ctx, metaOf(author), incidentId, { text: 'We are investigating failed logins.' })).outcome;
    await publishUpdate(ctx, metaOf(author), updateId);
    // Its Japanese delivery waits for a translation (TRANSLATION_WAIT_SECONDS), then goes out in English.
    clock.advance(5 * 60_000);
    await createDeliveryWorker({ db: database.db, clock, channels: { email: channel } }).drain();
    const mail = sink.mails[0]!;
    expect(mail.text).toContain('原文（英語）: 翻訳は追ってお送りします。\n\nWe are investigating failed logins.');
    expect(mail.html).toContain('<p style="white-space:pre-wrap" lang="en">We are investigating failed logins.</p>');
  });

  it('sends an English subscriber the English text in their own zone', async () => {
    const { ctx, clock } = makeContext(database.db);
    const c = component();
    await addSubscriber(database.db, { kind: 'email', address: 'ana@example.com', lang: 'en', timeZone: 'America/New_York', components: [c] });
    await publishSample(ctx, { components: [c], en: 'We are investigating elevated error rates.' });
    await createDeliveryWorker({ db: database.db, clock, channels: { email: channel } }).drain();
    const mail = sink.mails[0]!;
    expect(mail.subject).toMatch(/^\[INC-\d+\] API errors in EU: Investigating$/);
    expect(mail.text).toContain('We are investigating elevated error rates.');
    expect(mail.text).toContain('Posted Feb 26, 2026, 10:00 EST');
  });

  it('carries one-click unsubscribe (RFC 8058) and threads an incident’s mails together', async () => {
    const { ctx, clock } = makeContext(database.db);
    const c = component();
    const sub = await addSubscriber(database.db, { kind: 'email', address: 'thread@example.com', components: [c] });
    const first = await publishSample(ctx, { components: [c], en: 'first' });
    const worker = createDeliveryWorker({ db: database.db, clock, channels: { email: channel } });
    await worker.drain();
    clock.advance(60_000);
    const second = await publishSample(ctx, { incidentId: first.incidentId, en: 'second' });
    await worker.drain();
    const [m1, m2] = sink.mails;
    const root = `<incident.${first.incidentId}@example.com>`;
    expect(m1!.messageId).toBe(`<update.${first.updateId}.${sub.id}@example.com>`);
    expect(m2!.messageId).toBe(`<update.${second.updateId}.${sub.id}@example.com>`);
    expect(m1!.references).toBe(root);
    expect(m2!.inReplyTo).toBe(root);
    expect(m2!.references).toBe(root);
    for (const m of [m1!, m2!]) {
      const header = (key: string) => m.headerLines.find((h) => h.key === key)?.line.replace(/\r?\n[ \t]+/g, ' ');
      expect(header('list-unsubscribe-post')).toBe('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
      expect(header('list-unsubscribe')).toBe(`List-Unsubscribe: <https://status.example.com/status/unsubscribe?token=${sub.token}>`);
    }
  });

  it('keeps mail queued while the SMTP server is down and delivers it when it is back', async () => {
    const { ctx, clock } = makeContext(database.db);
    const c = component();
    await addSubscriber(database.db, { kind: 'email', address: 'later@example.com', components: [c] });
    await sink.stop();
    const { updateId } = await publishSample(ctx, { components: [c] });
    const worker = createDeliveryWorker({ db: database.db, clock, channels: { email: channel }, random: () => 0 });
    await worker.drain();
    let [row] = (await deliveriesOf(database.db, updateId)).filter((d) => d.target === 'email');
    expect(row?.state).toBe('failed');
    expect(row?.nextAttemptAt!.getTime()).toBeGreaterThan(clock.now().getTime());
    await sink.start();
    clock.advance(60 * 60_000);
    await worker.drain();
    [row] = (await deliveriesOf(database.db, updateId)).filter((d) => d.target === 'email');
    expect(row?.state).toBe('delivered');
    expect(row?.attempts).toBe(2);
    expect(sink.mails.map((m) => m.subject)).toHaveLength(1);
  });

  it('sends the double opt-in confirmation in the subscriber’s language', async () => {
    await channel.sendConfirmation({ address: 'new@example.jp', lang: 'ja' }, 'https://status.example.com/status/subscribe/confirm?token=abc');
    const mail = sink.mails[0]!;
    expect(mail.subject).toBe('ステータス更新の購読確認');
    expect(mail.text).toContain('https://status.example.com/status/subscribe/confirm?token=abc');
  });
});
