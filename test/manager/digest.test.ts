import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changeStatus } from '../../src/app/change-status.ts';
import { changeSeverity } from '../../src/app/change-severity.ts';
import { announceStatusChanges, armDigest, DEFAULT_DIGEST_CRON, DIGEST_JOB, nextDigestAt, postDigest } from '../../src/manager/digest.ts';
import { createLogger } from '../../src/logger.ts';
import { createJobRunner } from '../../src/outbox/job-runner.ts';
import * as t from '../../src/db/schema.ts';
import { declare, makeContext, metaOf, MINUTE, person, testI18n } from '../app/helpers.ts';
import { createTestDatabase, describeDb, type TestDatabase } from '../helpers/database.ts';
import { RecordingPlatform } from '../helpers/upstream/recording-platform.ts';

createLogger({ level: 'silent' });

describe('nextDigestAt', () => {
  it.each([
    ['a Friday morning in Tokyo: 09:00 that day', '2021-02-26T07:00:00+09:00', '2021-02-26T09:00:00+09:00'],
    ['a Friday after 09:00: the next Monday', '2021-02-26T09:00:00+09:00', '2021-03-01T09:00:00+09:00'],
    ['a Saturday: Monday', '2021-02-27T12:00:00+09:00', '2021-03-01T09:00:00+09:00'],
  ])('%s', (_name, from, expected) => {
    expect(nextDigestAt(DEFAULT_DIGEST_CRON, 'Asia/Tokyo', new Date(from))).toEqual(new Date(expected));
  });

  it('rejects an invalid DIGEST_CRON', () => {
    expect(() => nextDigestAt('every morning', 'Asia/Tokyo', new Date())).toThrow();
  });
});

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.drop();
});

describeDb('digests in the incidents channel', () => {
  it('lists open public incidents with status, impact, last and next public update', async () => {
    const { ctx, clock } = makeContext(database.db, {}, new Date('2021-02-26T13:45:00Z'));
    const platform = new RecordingPlatform(testI18n(), clock);
    const { number } = await declare(ctx, person('Aiko'), { title: 'SMS delays', severity: 'SEV2', components: ['sms'], impact: 'major_outage' });
    const { number: secret } = await declare(ctx, person('Ken'), { title: 'Secret thing', visibility: 'private' });
    clock.advance(20 * MINUTE);
    const message = await postDigest(ctx, testI18n(), platform);
    expect(platform.announcements).toEqual([message]);
    const text = [message.title, ...(message.lines ?? [])].join('\n');
    expect(text).toContain(`INC-${number} SEV2`);
    expect(text).toContain('SMS delays — 20 min');
    expect(text).toContain('Impact: sms (Major outage)');
    expect(text).toContain('No public update yet');
    expect(text).toContain('Next update overdue since Feb 26, 22:55 GMT+9');
    expect(text).not.toContain(`INC-${secret} `);
  });

  it('posts on the cron schedule through the durable queue, then re-arms for the next one', async () => {
    const { ctx, clock } = makeContext(database.db, {}, new Date('2021-02-26T07:00:00+09:00'));
    const platform = new RecordingPlatform(testI18n(), clock);
    expect(await armDigest(ctx, DEFAULT_DIGEST_CRON)).toEqual(new Date('2021-02-26T09:00:00+09:00'));
    const worker = createJobRunner({ db: database.db, clock, logger: createLogger({ level: 'silent' }) });
    worker.register(DIGEST_JOB, async () => {
      await postDigest(ctx, testI18n(), platform);
      await armDigest(ctx, DEFAULT_DIGEST_CRON);
    });
    clock.set('2021-02-26T08:59:00+09:00');
    await worker.drain();
    expect(platform.announcements).toHaveLength(0);
    clock.set('2021-02-26T09:00:30+09:00');
    await worker.drain();
    expect(platform.announcements).toHaveLength(1);
    const [job] = await database.db.select().from(t.scheduledJob).where(eq(t.scheduledJob.kind, DIGEST_JOB.name));
    expect(job).toMatchObject({ state: 'pending', runAt: new Date('2021-03-01T09:00:00+09:00') });
  });

  it('announces each status change of a SEV1/SEV2 incident once', async () => {
    const { ctx, clock } = makeContext(database.db, {}, new Date('2021-03-02T13:45:00Z'));
    const platform = new RecordingPlatform(testI18n(), clock);
    const aiko = person('Aiko');
    const { incidentId, number } = await declare(ctx, aiko, { title: 'Console down', severity: 'SEV1' });
    await announceStatusChanges(ctx, testI18n(), platform);
    await announceStatusChanges(ctx, testI18n(), platform);
    const mine = () => platform.announcements.map((m) => m.text).filter((x) => x.startsWith(`INC-${number} `));
    expect(mine()).toEqual([`INC-${number} (SEV1) is now Investigating: Console down`]);
    clock.advance(5 * MINUTE);
    await changeStatus(ctx, metaOf(aiko), incidentId, { status: 'identified' });
    // A second process scanning at the same time posts nothing more.
    await Promise.all([announceStatusChanges(ctx, testI18n(), platform), announceStatusChanges(ctx, testI18n(), platform)]);
    expect(mine()).toEqual([`INC-${number} (SEV1) is now Investigating: Console down`, `INC-${number} (SEV1) is now Identified: Console down`]);
  });

  it('stays quiet about SEV3 and SEV4 incidents', async () => {
    const { ctx, clock } = makeContext(database.db, {}, new Date('2021-03-03T13:45:00Z'));
    const platform = new RecordingPlatform(testI18n(), clock);
    const aiko = person('Aiko');
    const { incidentId, number } = await declare(ctx, aiko, { title: 'Slow search', severity: 'SEV3' });
    await changeStatus(ctx, metaOf(aiko), incidentId, { status: 'identified' });
    await announceStatusChanges(ctx, testI18n(), platform);
    expect(platform.announcements.map((m) => m.text).filter((x) => x.startsWith(`INC-${number} `))).toEqual([]);
    await changeSeverity(ctx, metaOf(aiko), incidentId, { severity: 'SEV2' });
    await announceStatusChanges(ctx, testI18n(), platform);
    expect(platform.announcements.map((m) => m.text).filter((x) => x.startsWith(`INC-${number} `))).toHaveLength(1);
  });
});
