import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import * as t from '../../../src/db/schema.ts';
import { MINUTE } from '../../app/helpers.ts';
import { createTestDatabase, describeDb, type TestDatabase } from '../../helpers/database.ts';
import { INCIDENTS_CHANNEL, type SlackHarness, startSlackHarness } from '../../helpers/slack/harness.ts';
import { appMentionRequest, slashCommandRequest } from '../../helpers/slack/requests.ts';

const TARO = 'U0TARO0001';
const HANAKO = 'U0HANAKO01';
const NEWYORK = 'U0NEWYORK1';
const GENERAL = 'C0GENERAL1';

let database: TestDatabase;
let h: SlackHarness;

beforeAll(async () => {
  database = await createTestDatabase();
  h = await startSlackHarness(database, {
    users: {
      [TARO]: { locale: 'en-US', name: 'Taro Yamada' },
      [HANAKO]: { locale: 'ja-JP', name: 'Hanako', tz: 'Asia/Tokyo' },
      [NEWYORK]: { locale: 'en-US', name: 'Nora', tz: 'America/New_York' },
    },
  });
});

afterAll(async () => {
  await h?.close();
  await database?.drop();
});

async function command(text: string, userId = TARO, channelId = GENERAL) {
  const res = await h.send(slashCommandRequest({ text, userId, channelId, responseUrl: h.fake.responseUrl('cmd') }));
  expect(res.status).toBe(200);
}

async function incidentNumbered(number: number) {
  const [incident] = await database.db.select().from(t.incident).where(eq(t.incident.number, number));
  return incident!;
}

describeDb('Slack: a record people can trust', () => {
  it('stores what the person typed, not Slack markup: entities, mentions, channels, links', async () => {
    await command("declare Users can't log in &amp; see &lt;errors&gt; --summary paged <@U0HANAKO01> in <#C0OPS00001|ops>, see <https://grafana.example/d/1|dashboard>");
    const incident = await incidentNumbered(1);
    expect(incident.title).toBe("Users can't log in & see <errors>");
    expect(incident.summary).toBe('paged @Hanako in #ops, see dashboard (https://grafana.example/d/1)');
    expect(h.fake.rejected).toEqual([]);
  });

  it('keeps the Slack id of a mentioned assignee, so the role names the user and the channel invites them', async () => {
    const channel = h.fake.channels.get('inc-1-users-can-t-log-in-see-errors')!;
    await command('assign commander <@U0HANAKO01>', TARO, channel);
    const roles = await database.db.select().from(t.incidentRole);
    expect(roles).toEqual([expect.objectContaining({ role: 'commander', userId: HANAKO, userName: 'Hanako' })]);
    expect(h.fake.callsOf('conversations.invite').at(-1)).toEqual({ channel, users: HANAKO });
  });

  it('decodes an @mention of the bot the same way', async () => {
    const channel = h.fake.channels.get('inc-1-users-can-t-log-in-see-errors')!;
    await h.send(appMentionRequest({ text: 'update DB &amp; cache flushed by <@U0TARO0001>', userId: TARO, channelId: channel, eventId: 'Ev0TRUST01' }));
    const notes = await database.db.select().from(t.timelineEntry).where(eq(t.timelineEntry.kind, 'note'));
    expect(notes.map((n) => n.text)).toContain('DB & cache flushed by @Taro Yamada');
  });

  it("reads typed times in the person's Slack zone and echoes them with it", async () => {
    // T0 is 15:00 UTC: 10:00 in New York, 00:00 in Tokyo (the team zone).
    await command('declare Queue backlog --started 09:05', NEWYORK);
    const incident = await incidentNumbered(2);
    const started = (await database.db.select().from(t.keyMoment).where(eq(t.keyMoment.incidentId, incident.id))).find((m) => m.kind === 'started');
    expect(started?.at.toISOString()).toBe('2026-02-26T14:05:00.000Z');
    const channel = h.fake.channels.get('inc-2-queue-backlog')!;
    h.clock.advance(10 * MINUTE);
    await command('update at 09:30 consumer lag alert', NEWYORK, channel);
    const reply = h.fake.callsOf('chat.postMessage').filter((a) => a.channel === channel).at(-1)!;
    expect(String(reply.text)).toMatch(/09:30 EST/);
  });

  it('refuses a bare time that lands before the incident began, naming the explicit form, in Japanese too', async () => {
    const channel = h.fake.channels.get('inc-2-queue-backlog')!;
    // 00:10 in Tokyo: 23:50 is yesterday 23:50 JST = 14:50 UTC, after the 14:05 start: accepted.
    await command('追記 時刻 23:50 キュー監視を追加', HANAKO, channel);
    // 23:00 JST = 14:00 UTC, before the 14:05 start: refused.
    const before = await database.db.select().from(t.timelineEntry);
    await command('追記 時刻 23:00 最初の兆候', HANAKO, channel);
    expect(await database.db.select().from(t.timelineEntry)).toHaveLength(before.length);
    const answer = h.fake.callsOf('response_url').at(-1);
    expect(JSON.stringify(answer)).toContain('2/26 23:00');
  });

  it('opens a private Slack channel for a private incident and announces nothing', async () => {
    const announcedBefore = h.fake.callsOf('chat.postMessage').filter((a) => a.channel === INCIDENTS_CHANNEL).length;
    await command('declare Credential leak --private');
    const create = h.fake.callsOf('conversations.create').at(-1)!;
    // Form-encoded on the wire, so the boolean arrives as "true".
    expect(create).toEqual({ name: 'inc-3-credential-leak', is_private: 'true' });
    expect(h.fake.callsOf('conversations.create').slice(0, -1).every((c) => c.is_private === undefined)).toBe(true);
    expect(h.fake.callsOf('chat.postMessage').filter((a) => a.channel === INCIDENTS_CHANNEL)).toHaveLength(announcedBefore);
    expect(h.fake.rejected).toEqual([]);
  });
});
