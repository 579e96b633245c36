import { afterAll, beforeAll, expect, it } from 'vitest';
import { findIncidentIdByNumber } from '../../src/db/incident-repository.ts';
import { countEverything, makeContext, MINUTE, person, snapshot } from '../app/helpers.ts';
import { createTestDatabase, describeDb, type TestDatabase } from '../helpers/database.ts';
import { declaredIn, openConsole } from './helpers.ts';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.drop();
});

// The morning: the clock reads 05:09 UTC on Dec 7; the team zone stays Asia/Tokyo.
const DECLARED = new Date('2026-12-07T05:09:00Z');

/** A console user in `zone` (console --tz) who has just declared and stands in the incident's channel. */
async function declaredBy(lang: 'en' | 'ja', zone = 'UTC', options = '') {
  const { ctx, clock } = makeContext(database.db, { publishApproval: 'off' }, DECLARED);
  const cli = openConsole(database, ctx, { ...person('Aiko', lang), timeZone: zone });
  const { number, channel } = declaredIn(await cli.say(`/incident declare Login failures --components auth ${options}`.trim()));
  cli.session.channel = channel;
  const incidentId = (await findIncidentIdByNumber(database.db, number))!;
  return { clock, cli, number, incidentId };
}

describeDb('chat: a record people can trust', () => {
  it.each([
    ['en', 'update at 05:59 restarted', /05:59 would mean Dec 6, 05:59 UTC, before the incident began \(Dec 7, 05:09 UTC\)\. If you meant that day, write it out: at 12\/6 05:59/],
    ['ja', '追記 時刻 05:59 再起動', /05:59 は 12\/6 5:59 \(UTC\) を指し.*時刻 12\/6 05:59/],
  ] as const)('refuses a bare time before the incident began, changing nothing (%s)', async (lang, line, expected) => {
    const { clock, cli } = await declaredBy(lang);
    clock.set(new Date('2026-12-07T05:10:00Z'));
    const before = await countEverything(database.db);
    const out = await cli.say(line);
    expect(out).toMatch(expected);
    expect(await countEverything(database.db)).toEqual(before);
  });

  it.each([
    ['en', 'status identified at 2026-12-07T05:05Z Found it', /Nothing recorded: a status change at Dec 7, 05:05 UTC comes before the change to Investigating at Dec 7, 05:09 UTC/],
    ['ja', '状態 原因特定 時刻 2026-12-07T05:05Z 原因を特定', /記録していません: 12\/7 5:05 \(UTC\) 時点の状態変更は/],
  ] as const)('refuses a status change a later one overtakes and drafts no public update (%s)', async (lang, line, expected) => {
    const { clock, cli, incidentId } = await declaredBy(lang);
    clock.set(new Date('2026-12-07T05:20:00Z'));
    const out = await cli.say(line);
    expect(out).toMatch(expected);
    expect(out).not.toMatch(/Investigating\)|Public update/);
    expect((await snapshot(database.db, incidentId)).publicUpdates).toHaveLength(0);
  });

  it("echoes a typed time in the typer's zone, zone named", async () => {
    const { clock, cli } = await declaredBy('en', 'America/New_York');
    clock.advance(10 * MINUTE);
    // 05:19 UTC is 00:19 in New York.
    expect(await cli.say('update at 00:15 paged the DB team')).toMatch(/Dec 7, 00:15 EST/);
  });

  it('reopens a closed incident (reopen, 再開) and sends a final public word after close without reopening', async () => {
    const { clock, cli, incidentId } = await declaredBy('en');
    clock.advance(30 * MINUTE);
    await cli.say('close');
    clock.advance(30 * MINUTE);
    expect(await cli.say('publish Root cause: an expired certificate.')).toMatch(/Public update published \(Resolved\)/);
    expect((await snapshot(database.db, incidentId)).status).toBe('closed');
    expect(await cli.say('reopen errors are back')).toMatch(/reopened at Dec 7, 06:09 UTC \(was Closed\)/);
    expect((await snapshot(database.db, incidentId)).status).toBe('investigating');
    expect(await cli.say('再開')).toMatch(/not resolved, so there is nothing to reopen/);
    await cli.say('status resolved');
    expect(await cli.say('再開')).toMatch(/reopened/);
  });
});
