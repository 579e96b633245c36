import { eq, like } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import { cancelMaintenance, MAINTENANCE_JOB, MAINTENANCE_NOTICE_JOB, runMaintenanceJob, scheduleMaintenance, updateMaintenance } from '../../src/app/maintenance.ts';
import * as t from '../../src/db/schema.ts';
import { createLogger } from '../../src/logger.ts';
import { createJobRunner, type JobRunner } from '../../src/outbox/job-runner.ts';
import { createEmailChannel, type EmailChannel } from '../../src/publish/email.ts';
import { createNoticeSender, fanOutMaintenanceNotice, registerMaintenanceNotices } from '../../src/publish/maintenance-notices.ts';
import { SlackPlatform } from '../../src/chat/slack/slack-platform.ts';
import { WebClient } from '@slack/web-api';
import { FakeSlack } from '../helpers/slack/fake-slack.ts';
import { createWebhookChannel } from '../../src/publish/webhook.ts';
import { makeContext, metaOf, MINUTE, person, testI18n } from '../app/helpers.ts';
import { createTestDatabase, describeDb, type TestDatabase } from '../helpers/database.ts';
import { webhookReceiver } from '../helpers/webhook-receiver.ts';
import { addSubscriber, newWebhookSecretForTest } from '../publish/helpers.ts';
import { startSmtpSink } from '../helpers/smtp-sink.ts';

const NOW = new Date('2026-03-02T01:00:00Z'); // 10:00 in Tokyo
const HOUR = 60 * MINUTE;
const PUBLIC_URL = 'https://status.example.com';
const secret = newWebhookSecretForTest();
// Receivers reject signatures older than 5 minutes: the signing timestamp is the real time.
const wallClock = { now: () => new Date() };

/** What a maintenance notice webhook carries. */
interface NoticePayload {
  meta: { unsubscribe: string };
  page: { id: string; status_indicator: string };
  incident: { id: string; name: string; status: string; impact: string; scheduled_for: string; scheduled_until: string; incident_updates: { status: string; body: string }[]; components: { id: string }[] };
  notice: { kind: string; lang: string; bodies: Record<string, string> };
}

const hook = webhookReceiver<NoticePayload>(secret);
let sink: Awaited<ReturnType<typeof startSmtpSink>>;
let email: EmailChannel;
let database: TestDatabase;
const runners: JobRunner[] = [];
beforeAll(async () => {
  await hook.start();
  sink = await startSmtpSink();
  email = createEmailChannel({ smtpUrl: sink.url, from: 'Status <status@example.com>', publicUrl: PUBLIC_URL, i18n: testI18n() });
});
afterAll(async () => {
  await email.close?.();
  await sink.close();
  await hook.stop();
});
beforeEach(async () => {
  database = await createTestDatabase();
  sink.mails.length = 0;
  hook.received.length = 0;
  hook.rejected.length = 0;
});
afterEach(async () => {
  await Promise.all(runners.splice(0).map((r) => r.stop()));
  await database.drop();
});

async function setUp(settings = {}) {
  const { ctx, clock } = makeContext(database.db, settings, NOW);
  const deps = { db: database.db, clock, i18n: testI18n(), publicUrl: PUBLIC_URL, email, webhook: createWebhookChannel({ clock: wallClock, publicUrl: PUBLIC_URL }) };
  /** A process's job runner with the maintenance timers and notices, as the server parts register them. */
  const runner = () => {
    const jobs = createJobRunner({ db: database.db, clock, logger: createLogger({ level: 'silent' }), random: () => 0 });
    jobs.register(MAINTENANCE_JOB, (p) => runMaintenanceJob(ctx, p));
    registerMaintenanceNotices(jobs, deps);
    runners.push(jobs);
    return jobs;
  };
  const actor = { ...person('Aiko', 'ja'), timeZone: 'Asia/Tokyo' };
  const schedule = async (input: { components?: string[]; visibility?: 'public' | 'private' } = {}) => {
    const start = new Date(NOW.getTime() + 3 * HOUR);
    const { outcome } = await scheduleMaintenance(ctx, metaOf(actor), {
      title: 'Database upgrade',
      start,
      end: new Date(start.getTime() + 2 * HOUR),
      components: input.components ?? ['api'],
      visibility: input.visibility ?? 'public',
      description: 'Writes pause for a few minutes.',
    });
    return { ...outcome, start };
  };
  return { ctx, clock, deps, runner, actor, schedule };
}

const subjects = () => sink.mails.map((m) => `${(m.to as { text: string }).text} ${m.subject}`).sort();

describeDb('maintenance notices to subscribers', () => {
  it('tells every confirmed subscriber whose filter meets the components, in their language and zone', async () => {
    const s = await setUp();
    await addSubscriber(database.db, { kind: 'email', address: 'en@example.com', lang: 'en', timeZone: 'UTC' });
    await addSubscriber(database.db, { kind: 'email', address: 'ja@example.com', lang: 'ja', timeZone: 'Asia/Tokyo', components: ['api', 'console'] });
    await addSubscriber(database.db, { kind: 'email', address: 'console-only@example.com', components: ['console'] });
    await addSubscriber(database.db, { kind: 'email', address: 'unconfirmed@example.com', confirmed: false });
    await addSubscriber(database.db, { kind: 'webhook', address: hook.url, secret, lang: 'ja', timeZone: 'Asia/Tokyo' });
    const m = await s.schedule();
    await s.runner().drain();

    expect(subjects()).toEqual([
      'en@example.com [MNT-1] Database upgrade: Scheduled maintenance',
      'ja@example.com 【メンテナンスのお知らせ】Database upgrade（MNT-1）',
    ]);
    const ja = sink.mails.find((x) => x.subject?.includes('MNT-1') && (x.to as { text: string }).text === 'ja@example.com')!;
    // 04:00Z is 13:00 in Tokyo; every time carries its zone.
    expect(ja.text).toContain('実施日時: 2026/3/2 13:00 (JST) – 2026/3/2 15:00 (JST)');
    expect(ja.text).toContain('メンテナンスを予定しています: Database upgrade、3/2 13:00 (JST) – 3/2 15:00 (JST)。');
    expect(ja.text).toContain('Writes pause for a few minutes.');
    expect(ja.text).toContain(`${PUBLIC_URL}/status/maintenance/${m.maintenanceId}?lang=ja`);
    const header = (key: string) => ja.headerLines.find((h) => h.key === key)?.line.replace(/\r?\n[ \t]+/g, ' ');
    expect(header('list-unsubscribe-post')).toBe('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
    expect(header('list-unsubscribe')).toMatch(/^List-Unsubscribe: <https:\/\/status\.example\.com\/status\/unsubscribe\?token=[\w-]+>$/);
    const en = sink.mails.find((x) => (x.to as { text: string }).text === 'en@example.com')!;
    expect(en.text).toContain('Window: Mar 2, 2026, 04:00 UTC – Mar 2, 2026, 06:00 UTC');
    expect(en.html).toContain('Unsubscribe');

    expect(hook.rejected).toEqual([]);
    expect(hook.received).toHaveLength(1);
    const { payload, id } = hook.received[0]!;
    expect(id).toMatch(/^maintenance\.notice:[0-9a-f-]{36}:[0-9a-f-]{36}$/);
    expect(payload.incident).toMatchObject({
      id: m.maintenanceId,
      name: 'Database upgrade',
      status: 'scheduled',
      impact: 'maintenance',
      // In the subscriber's zone, as Statuspage writes times in the page's.
      scheduled_for: '2026-03-02T13:00:00.000+09:00',
      scheduled_until: '2026-03-02T15:00:00.000+09:00',
    });
    expect(payload.incident.incident_updates).toHaveLength(1);
    expect(payload.incident.incident_updates[0]!.body).toContain('3/2 13:00 (JST)');
    expect(payload.notice).toMatchObject({ kind: 'scheduled', lang: 'ja' });
    expect(payload.notice.bodies.en).toContain('Mar 2, 13:00 GMT+9');
    expect(payload.meta.unsubscribe).toMatch(/^https:\/\/status\.example\.com\/status\/unsubscribe\?token=/);
    expect(payload.page.status_indicator).toBe('none');
  });

  it('reminds, starts and completes as the clock passes, one mail each', async () => {
    const s = await setUp({ maintenanceReminderMinutes: 60 });
    await addSubscriber(database.db, { kind: 'email', address: 'en@example.com' });
    const m = await s.schedule();
    const jobs = s.runner();
    await jobs.drain();
    s.clock.set(new Date(m.start.getTime() - 60 * MINUTE));
    await jobs.drain();
    s.clock.set(m.start);
    await jobs.drain();
    s.clock.advance(2 * HOUR);
    await jobs.drain();
    expect(sink.mails.map((x) => x.subject)).toEqual([
      '[MNT-1] Database upgrade: Scheduled maintenance',
      '[MNT-1] Database upgrade: Maintenance reminder',
      '[MNT-1] Database upgrade: Maintenance started',
      '[MNT-1] Database upgrade: Maintenance completed',
    ]);
    // One thread: every later mail answers the first's root id.
    const root = `<maintenance.${m.maintenanceId}@example.com>`;
    expect(sink.mails.slice(1).every((x) => x.inReplyTo === root)).toBe(true);
  });

  it('drops a reminder held up past the start, and still tells of the start', async () => {
    const s = await setUp({ maintenanceReminderMinutes: 60 });
    await addSubscriber(database.db, { kind: 'email', address: 'en@example.com' });
    const m = await s.schedule();
    await s.runner().drain();
    // Only the timers run at the reminder's time (the senders are down) ...
    const timers = createJobRunner({ db: database.db, clock: s.clock, logger: createLogger({ level: 'silent' }) });
    runners.push(timers);
    timers.register(MAINTENANCE_JOB, (p) => runMaintenanceJob(s.ctx, p));
    s.clock.set(new Date(m.start.getTime() - 30 * MINUTE));
    await timers.drain();
    // ... and the senders come back after the start.
    s.clock.set(new Date(m.start.getTime() + MINUTE));
    await s.runner().drain();
    expect(sink.mails.map((x) => x.subject)).toEqual(['[MNT-1] Database upgrade: Scheduled maintenance', '[MNT-1] Database upgrade: Maintenance started']);
  });

  it('tells of a moved and a cancelled window', async () => {
    const s = await setUp();
    await addSubscriber(database.db, { kind: 'email', address: 'ja@example.com', lang: 'ja', timeZone: 'Asia/Tokyo' });
    const m = await s.schedule();
    const jobs = s.runner();
    await jobs.drain();
    await updateMaintenance(s.ctx, metaOf(s.actor), { number: m.number, start: new Date(m.start.getTime() + HOUR), end: new Date(m.start.getTime() + 3 * HOUR) });
    await jobs.drain();
    await cancelMaintenance(s.ctx, metaOf(s.actor), m.number);
    await jobs.drain();
    expect(sink.mails.map((x) => x.subject)).toEqual([
      '【メンテナンスのお知らせ】Database upgrade（MNT-1）',
      '【メンテナンス日時変更のお知らせ】Database upgrade（MNT-1）',
      '【メンテナンス中止のお知らせ】Database upgrade（MNT-1）',
    ]);
    expect(sink.mails[1]!.text).toContain('日時を変更しました: 3/2 14:00 (JST) – 3/2 16:00 (JST)');
  });

  it('sends nothing for a private maintenance', async () => {
    const s = await setUp();
    await addSubscriber(database.db, { kind: 'email', address: 'en@example.com' });
    await s.schedule({ visibility: 'private' });
    await s.runner().drain();
    expect(sink.mails).toEqual([]);
  });

  it('sends a notice once when the fan-out crashes after queueing and runs again', async () => {
    const s = await setUp();
    await addSubscriber(database.db, { kind: 'email', address: 'a@example.com' });
    await addSubscriber(database.db, { kind: 'webhook', address: hook.url, secret });
    const m = await s.schedule();
    // The first process queues the sends, then dies before the fan-out job is marked done.
    const crashing = createJobRunner({ db: database.db, clock: s.clock, logger: createLogger({ level: 'silent' }), random: () => 0 });
    runners.push(crashing);
    crashing.register(MAINTENANCE_NOTICE_JOB, async (p) => {
      await fanOutMaintenanceNotice(s.deps, p.noticeId);
      throw new Error('killed');
    });
    await crashing.drain();
    await crashing.stop();
    const [fanOut] = await database.db.select().from(t.scheduledJob).where(like(t.scheduledJob.key, 'maintenance-notice:%'));
    expect(fanOut!.state).toBe('pending');
    // Another process runs the retry of the fan-out and the sends, then a third runs the fan-out yet again.
    s.clock.advance(10 * MINUTE);
    await s.runner().drain();
    await fanOutMaintenanceNotice(s.deps, (await database.db.select().from(t.maintenanceUpdate).where(eq(t.maintenanceUpdate.maintenanceId, m.maintenanceId)))[0]!.id);
    await s.runner().drain();
    expect(sink.mails).toHaveLength(1);
    expect(hook.received).toHaveLength(1);
  });

  it('sends each notice once when two processes drain the queue at once', async () => {
    const s = await setUp();
    for (let i = 0; i < 6; i++) await addSubscriber(database.db, { kind: 'email', address: `s${i}@example.com` });
    await s.schedule();
    const [a, b] = [s.runner(), s.runner()];
    await Promise.all([a.drain(), b.drain(), a.drain(), b.drain()]);
    expect(subjects()).toEqual([0, 1, 2, 3, 4, 5].map((i) => `s${i}@example.com [MNT-1] Database upgrade: Scheduled maintenance`));
  });

  it('retries a webhook the receiver refused for now, under the same webhook-id', async () => {
    const s = await setUp();
    await addSubscriber(database.db, { kind: 'webhook', address: hook.url, secret });
    await s.schedule();
    hook.script.push({ status: 503 });
    const jobs = s.runner();
    await jobs.drain();
    expect(hook.received).toHaveLength(0);
    s.clock.advance(10 * MINUTE);
    await jobs.drain();
    expect(hook.received).toHaveLength(1);
    const [job] = await database.db.select().from(t.scheduledJob).where(like(t.scheduledJob.key, 'maintenance.notice:%'));
    expect(job).toMatchObject({ key: hook.received[0]!.id, state: 'done', attempts: 2 });
  });

  it('posts to a subscribed Slack channel through the Slack platform, once even when the send runs again', async () => {
    const s = await setUp();
    const slack = await new FakeSlack({ token: 'xoxb-test' }).start();
    try {
      const platform = new SlackPlatform({
        client: new WebClient('xoxb-test', { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } }),
        db: database.db,
        clock: s.clock,
        i18n: testI18n(),
        logger: createLogger({ level: 'silent' }),
        publicUrl: PUBLIC_URL,
        botUserId: async () => undefined,
      });
      const chatDeps = { ...s.deps, chat: { get: (kind: string) => (kind === 'slack' ? platform : undefined) } };
      const { id: subscriberId } = await addSubscriber(database.db, { kind: 'slack', address: 'C0CUSTOMER', lang: 'ja', timeZone: 'Asia/Tokyo' });
      // A channel whose filter names only another component is told nothing.
      await addSubscriber(database.db, { kind: 'slack', address: 'C0OTHER', components: ['console'] });
      const m = await s.schedule();
      const jobs = createJobRunner({ db: database.db, clock: s.clock, logger: createLogger({ level: 'silent' }) });
      runners.push(jobs);
      jobs.register(MAINTENANCE_JOB, (p) => runMaintenanceJob(s.ctx, p));
      registerMaintenanceNotices(jobs, chatDeps);
      await jobs.drain();
      expect(slack.rejected).toEqual([]);
      const posted = [...slack.messages.values()];
      expect(posted.map((x) => x.channel)).toEqual(['C0CUSTOMER']);
      expect(posted[0]!.text).toContain('【メンテナンスのお知らせ】Database upgrade（MNT-1）');
      expect(JSON.stringify(posted[0]!.blocks)).toContain(`/status/maintenance/${m.maintenanceId}?lang=ja`);
      // The send runs again (its process died after posting): the keyed post sends nothing more.
      const [notice] = await database.db.select().from(t.maintenanceUpdate).where(eq(t.maintenanceUpdate.maintenanceId, m.maintenanceId));
      await createNoticeSender(chatDeps)({ noticeId: notice!.id, subscriberId });
      expect(slack.messages.size).toBe(1);
    } finally {
      await slack.stop();
    }
  });
});
