import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AppContext } from '../../src/app/context.ts';
import { draftPublicUpdate } from '../../src/app/draft-public-update.ts';
import { publishUpdate } from '../../src/app/review-public-update.ts';
import { setReminder } from '../../src/app/set-reminder.ts';
import { changeStatus } from '../../src/app/change-status.ts';
import { ensureIncidentChannel } from '../../src/chat/incident-channel.ts';
import type { ManualClock } from '../../src/core/clock.ts';
import type { IncidentSnapshot } from '../../src/core/incident.ts';
import { createLogger } from '../../src/logger.ts';
import { nextReminder } from '../../src/manager/reminders.ts';
import { createManagerPart } from '../../src/manager/part.ts';
import { loadConfig } from '../../src/config.ts';
import { createMetrics } from '../../src/metrics.ts';
import { openRuntime } from '../../src/runtime.ts';
import { createReminderHandler, REMINDER_JOB, reconcileReminders, reminderJobKey } from '../../src/manager/reminder-jobs.ts';
import { snoozeReminders } from '../../src/manager/snooze.ts';
import { createJobRunner } from '../../src/outbox/job-runner.ts';
import * as t from '../../src/db/schema.ts';
import { declare, makeContext, metaOf, MINUTE, person, snapshot, testI18n } from '../app/helpers.ts';
import { createTestDatabase, describeDb, type TestDatabase } from '../helpers/database.ts';
import { RecordingPlatform } from '../helpers/upstream/recording-platform.ts';

const logger = createLogger({ level: 'silent' });
const D = new Date('2021-02-26T13:45:00Z');
const at = (min: number) => new Date(D.getTime() + min * MINUTE);

function incident(over: Partial<IncidentSnapshot> = {}): Pick<IncidentSnapshot, 'status' | 'visibility' | 'remindMinutes' | 'moments' | 'publicUpdates' | 'entries'> {
  return { status: 'investigating', visibility: 'public', remindMinutes: null, moments: { declared: D }, publicUpdates: [], entries: [], ...over };
}
const published = (min: number) => ({ id: `u${min}`, status: 'investigating' as const, body: 'x', sourceLang: 'en', state: 'published' as const, authorId: 'a', createdAt: at(min), publishedAt: at(min), translations: [] });
const defaults = { updateReminderMinutes: 30 };

describe('nextReminder', () => {
  it.each([
    ['no public update: 10 minutes after declaring', incident(), {}, 'first_public', 10],
    ['after a public update: one cadence later', incident({ publicUpdates: [published(5)] }), {}, 'cadence', 35],
    ['the incident cadence wins over the default', incident({ publicUpdates: [published(5)], remindMinutes: 15 }), {}, 'cadence', 20],
    ['the latest public update counts', incident({ publicUpdates: [published(5), published(40)] }), {}, 'cadence', 70],
    ['already nudged for this lapse: another cadence', incident({ publicUpdates: [published(5)] }), { lastNudgeAt: at(36) }, 'cadence', 66],
    ['first update still missing after a nudge: again 10 minutes later', incident(), { lastNudgeAt: at(10) }, 'first_public', 20],
    ['a nudge before the latest update does not count', incident({ publicUpdates: [published(50)] }), { lastNudgeAt: at(36) }, 'cadence', 80],
    ['snoozed past the due time', incident(), { snoozedUntil: at(45) }, 'first_public', 45],
    ['a snooze that ended already changes nothing', incident(), { snoozedUntil: at(3) }, 'first_public', 10],
  ] as const)('%s', (_name, inc, state, kind, minutes) => {
    expect(nextReminder(inc, state, defaults)).toMatchObject({ kind, at: at(minutes) });
  });

  it.each(['resolved', 'closed'] as const)('owes nothing once %s', (status) => {
    expect(nextReminder(incident({ status }), {}, defaults)).toBeUndefined();
  });

  it('reminds a private incident internally, a cadence after its last timeline entry', () => {
    const entries = [{ id: 'e', seq: 1, kind: 'note' as const, authorId: 'a', authorName: 'A', occurredAt: at(2), recordedAt: at(4), text: 'x', sourceLang: 'en', data: {} }];
    expect(nextReminder(incident({ visibility: 'private', entries }), {}, defaults)).toMatchObject({ kind: 'internal', at: at(34) });
  });
});

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.drop();
});

/** An incident declared at D with its channel on a recording platform, and a reminder worker on the durable queue. */
async function setup(options: { visibility?: 'public' | 'private' } = {}) {
  const { ctx, clock } = makeContext(database.db, {}, D);
  const platform = new RecordingPlatform(testI18n(), clock);
  const commander = person('Aiko');
  const { incidentId } = await declare(ctx, commander, { visibility: options.visibility ?? 'public' });
  const channel = (await ensureIncidentChannel({ app: ctx, i18n: testI18n(), platform, logger }, incidentId, commander, [commander.id]))!;
  const worker = () => {
    const runner = createJobRunner({ db: database.db, clock, logger });
    runner.register(REMINDER_JOB, createReminderHandler({ app: ctx, i18n: testI18n(), logger, platform }));
    return runner;
  };
  const reminders = () => platform.textsIn(channel.channelId);
  /** One scan and one run of due jobs at `minutes` after declaring, as the server part does. */
  const tick = async (minutes: number, w = worker()) => {
    clock.set(at(minutes));
    await reconcileReminders(ctx);
    await w.drain();
  };
  return { ctx, clock, platform, commander, incidentId, channel, reminders, tick, worker };
}

async function publish(ctx: AppContext, clock: ManualClock, actor: ReturnType<typeof person>, incidentId: string, minutes: number) {
  clock.set(at(minutes));
  const { outcome } = await draftPublicUpdate(ctx, metaOf(actor), incidentId, { text: `Update at ${minutes}` });
  await publishUpdate(ctx, metaOf(actor), outcome.updateId);
}

describeDb('reminders on the durable queue', () => {
  it('arms a job for the first public update 10 minutes after declaring', async () => {
    const s = await setup();
    await s.tick(0);
    const [job] = await database.db.select().from(t.scheduledJob).where(eq(t.scheduledJob.key, reminderJobKey(s.incidentId)));
    expect(job).toMatchObject({ kind: REMINDER_JOB.name, state: 'pending', runAt: at(10) });
  });

  it('nudges when no public update went out 10 minutes after declaring, not before', async () => {
    const s = await setup();
    await s.tick(9);
    expect(s.reminders()).toEqual([]);
    await s.tick(10);
    expect(s.reminders()).toHaveLength(1);
    expect(s.reminders()[0]).toMatch(/INC-\d+ has had no public update since it was declared at Feb 26, 22:45 GMT\+9/);
  });

  it('says nothing when the first public update went out in time', async () => {
    const s = await setup();
    await s.tick(0);
    await publish(s.ctx, s.clock, s.commander, s.incidentId, 5);
    await s.tick(10);
    await s.tick(34);
    expect(s.reminders()).toEqual([]);
  });

  it('nudges once the cadence passes without a public update, and again one cadence later', async () => {
    const s = await setup();
    await publish(s.ctx, s.clock, s.commander, s.incidentId, 5);
    await s.tick(34);
    expect(s.reminders()).toEqual([]);
    await s.tick(35);
    await s.tick(40);
    expect(s.reminders()).toHaveLength(1);
    expect(s.reminders()[0]).toMatch(/no public update for 30 min \(last at Feb 26, 22:50 GMT\+9\)/);
    await s.tick(65);
    expect(s.reminders()).toHaveLength(2);
  });

  it('follows the incident cadence set with remind', async () => {
    const s = await setup();
    await publish(s.ctx, s.clock, s.commander, s.incidentId, 5);
    await setReminder(s.ctx, metaOf(s.commander), s.incidentId, { minutes: 15 });
    await s.tick(20);
    expect(s.reminders()).toHaveLength(1);
  });

  it('survives a restart: a new worker runs the job armed by the old one', async () => {
    const s = await setup();
    await s.tick(0, s.worker());
    s.clock.set(at(10));
    // No scan this time: only the job stored in the database drives the reminder.
    await s.worker().drain();
    expect(s.reminders()).toHaveLength(1);
  });

  it('holds reminders while snoozed and resumes after', async () => {
    const s = await setup();
    await s.tick(0);
    s.clock.set(at(8));
    await snoozeReminders(s.ctx, metaOf(s.commander), s.incidentId, { minutes: 20 });
    await s.tick(10);
    await s.tick(27);
    expect(s.reminders()).toEqual([]);
    await s.tick(28);
    expect(s.reminders()).toHaveLength(1);
  });

  it('stops reminding once the incident is resolved', async () => {
    const s = await setup();
    await s.tick(0);
    s.clock.set(at(5));
    await changeStatus(s.ctx, metaOf(s.commander), s.incidentId, { status: 'resolved' });
    await s.tick(10);
    await s.tick(60);
    expect(s.reminders()).toEqual([]);
  });

  it('reminds a private incident internally only', async () => {
    const s = await setup({ visibility: 'private' });
    await s.tick(10);
    expect(s.reminders()).toEqual([]);
    await s.tick(30);
    expect(s.reminders()).toHaveLength(1);
    expect(s.reminders()[0]).toContain('is private: no update for 30 min');
    expect((await snapshot(database.db, s.incidentId)).publicUpdates).toEqual([]);
  });

  it('reminds through every platform registered on the runtime, not only Slack', async () => {
    const s = await setup();
    const runtime = await openRuntime(loadConfig({ LOCALES: 'en,ja', TEAM_TIME_ZONE: 'Asia/Tokyo' }), { database, clock: s.clock, i18n: testI18n(), jobPollMs: 5 });
    const part = createManagerPart({ runtime, logger, metrics: createMetrics() }, { scanMs: 5 });
    // Registered after the part was built, as a Teams or console platform would be: looked up when posting.
    runtime.chat!.register(s.platform);
    expect(s.platform.platform).not.toBe('slack');
    s.clock.set(at(10));
    await part.start!();
    try {
      await vi.waitFor(() => expect(s.reminders()).toHaveLength(1), { timeout: 10_000, interval: 20 });
    } finally {
      await part.stop!();
    }
    expect(s.reminders()[0]).toMatch(/has had no public update since it was declared/);
  });
});
