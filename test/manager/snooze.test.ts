import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Dispatcher } from '../../src/chat/dispatcher.ts';
import { parseCommand } from '../../src/core/command-parser.ts';
import { createLogger } from '../../src/logger.ts';
import { reminderJobKey } from '../../src/manager/reminder-jobs.ts';
import * as t from '../../src/db/schema.ts';
import { makeContext, MINUTE, person, testI18n } from '../app/helpers.ts';
import { createTestDatabase, describeDb, type TestDatabase } from '../helpers/database.ts';
import { RecordingPlatform } from '../helpers/upstream/recording-platform.ts';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.drop();
});

it.each([
  ['snooze 20', 20],
  ['スヌーズ 20分', 20],
  ['INC-4 snooze 45m', 45],
])('parses %s', (text, minutes) => {
  expect(parseCommand(text, { now: new Date(), timeZone: 'Asia/Tokyo' }).command).toEqual({ verb: 'snooze', minutes });
});

it('rejects a snooze without minutes, with the usage of snooze', () => {
  expect(() => parseCommand('snooze soon', { now: new Date(), timeZone: 'Asia/Tokyo' })).toThrow(/bad_minutes/);
});

describeDb('snooze in chat', () => {
  it('pauses the reminder job of the incident until the time it answers', async () => {
    const { ctx, clock } = makeContext(database.db, {}, new Date('2021-02-26T13:45:00Z'));
    const platform = new RecordingPlatform(testI18n(), clock);
    const dispatcher = new Dispatcher({ app: ctx, i18n: testI18n(), platform, logger: createLogger({ level: 'silent' }) });
    const aiko = person('Aiko');
    const declared = await dispatcher.handle({ text: 'declare SMS delays', actor: aiko, channelId: 'general' });
    const channelId = declared.declared!.channelId;
    clock.advance(5 * MINUTE);
    const result = await dispatcher.handle({ text: 'snooze 30', actor: aiko, channelId });
    expect(result.replies[0]!.message.text).toMatch(/^INC-\d+ reminders snoozed until Feb 26, 23:20 GMT\+9\.$/);
    const [job] = await database.db.select().from(t.scheduledJob).where(eq(t.scheduledJob.key, reminderJobKey(result.incidentId!)));
    expect(job).toMatchObject({ state: 'pending', runAt: new Date('2021-02-26T14:20:00Z') });
  });
});
