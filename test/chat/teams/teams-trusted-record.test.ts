import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import * as t from '../../../src/db/schema.ts';
import { createTestDatabase, describeDb, type TestDatabase } from '../../helpers/database.ts';
import { mentionMessage } from '../../helpers/teams/activities.ts';
import { openTeamsHarness, type TeamsHarness } from '../../helpers/teams/harness.ts';

let database: TestDatabase;
let h: TeamsHarness;

beforeAll(async () => {
  database = await createTestDatabase();
  h = await openTeamsHarness(database);
});
afterAll(async () => {
  await h?.close();
  await database?.drop();
});

/** A channel @mention from a person whose Teams client says `zone`, as `localTimezone` and in `clientInfo`. */
function fromZone(command: string, zone: string, where: 'localTimezone' | 'clientInfo') {
  const activity = mentionMessage(h.connector.url, command) as ReturnType<typeof mentionMessage> & { localTimezone?: string; entities?: unknown[] };
  if (where === 'localTimezone') activity.localTimezone = zone;
  else activity.entities = [...(activity.entities ?? []), { type: 'clientInfo', locale: 'en-US', timezone: zone }];
  return activity;
}

async function incidentTitled(title: string) {
  const [incident] = await database.db.select().from(t.incident).where(eq(t.incident.title, title));
  return incident!;
}

async function startedOf(incidentId: string) {
  return (await database.db.select().from(t.keyMoment).where(eq(t.keyMoment.incidentId, incidentId))).find((m) => m.kind === 'started')?.at.toISOString();
}

describeDb('Teams: a record people can trust', () => {
  it.each([
    // T0 is 15:00 UTC: 10:00 in New York, 15:00 in London, 00:00 in Tokyo (the team zone).
    ['localTimezone', 'America/New_York', 'NY queue', '2026-02-26T14:05:00.000Z'],
    ['clientInfo', 'Europe/London', 'London queue', '2026-02-26T09:05:00.000Z'],
  ] as const)("reads --started 09:05 in the person's zone from %s (%s)", async (where, zone, title, expected) => {
    const res = await h.post(fromZone(`declare ${title} --started 09:05`, zone, where));
    expect(res.status).toBe(200);
    expect(await startedOf((await incidentTitled(title)).id)).toBe(expected);
  });

  it('stores what the person typed from Teams HTML: references decoded, <at> as @Name', async () => {
    const res = await h.post(fromZone('declare Users can&#39;t log in &amp; see &lt;errors&gt; --summary paged <at>Taro Yamada</at>', 'UTC', 'localTimezone'));
    expect(res.status).toBe(200);
    const incident = await incidentTitled("Users can't log in & see <errors>");
    expect(incident.summary).toBe('paged @Taro Yamada');
  });
});
