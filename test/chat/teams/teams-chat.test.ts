import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import * as t from '../../../src/db/schema.ts';
import { createTestDatabase, describeDb, type TestDatabase } from '../../helpers/database.ts';
import { invokeActivity, personalMessage } from '../../helpers/teams/activities.ts';
import { openTeamsHarness, recorded, type TeamsHarness } from '../../helpers/teams/harness.ts';
import { adaptiveCardProblems, cardsIn } from '../../helpers/teams/schemas.ts';

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

const personal = (text: string, locale?: string) => personalMessage(h.connector.url, text, { locale });

async function repliesTo(activity: Record<string, unknown>) {
  const before = h.connector.calls.length;
  const res = await h.post(activity);
  expect(res.status).toBe(200);
  return h.connector.since(before);
}

describeDb('Teams: commands in chats and channels', () => {
  it('strips a recorded @mention whose entity has no text and runs the command', async () => {
    const activity = recorded('vercel-chat-replay/teams.json', '/mention');
    activity.serviceUrl = h.connector.url;
    activity.text = '<at>Chat SDK Demo</at> list';
    const calls = await repliesTo(activity);
    expect(JSON.stringify(calls[0]!.body)).toContain('No open incidents');
  });

  it('strips the mention of the Microsoft sample activity (entity with text)', async () => {
    const activity = recorded('botbuilder-microsoftteams-test-activities/SampleActivityAtMention.json', '');
    const mention = (activity.entities as { text?: string }[]).find((e) => e.text)!.text!;
    activity.text = `${mention} help`;
    activity.serviceUrl = h.connector.url;
    const calls = await repliesTo(activity);
    expect(JSON.stringify(calls.map((c) => c.body))).toContain('declare');
  });

  it('answers in the activity locale (ja-JP → Japanese)', async () => {
    const calls = await repliesTo(personal('list', 'ja-JP'));
    expect((calls[0]!.body as { text: string }).text).toMatch(/[\u3040-\u30ff\u4e00-\u9faf]/);
  });

  it('declare with no text answers with an Adaptive Card form whose Action.Execute declares', async () => {
    const calls = await repliesTo(personal('declare'));
    const form = calls.flatMap((c) => cardsIn(c.body)).find((c) => JSON.stringify(c).includes('Input.Text')) as { actions: { type: string; verb: string }[] };
    expect(adaptiveCardProblems(form)).toEqual([]);
    expect(form.actions[0]).toMatchObject({ type: 'Action.Execute', verb: 'declare_form' });
    const res = await h.post(
      invokeActivity(personal(''), 'declare_form', { title: 'Login failures', severity: 'SEV2', components: 'auth, console', summary: 'Users cannot sign in', private: 'false' }),
    );
    expect(res.status).toBe(200);
    const card = (res.body as { value: unknown }).value;
    expect(adaptiveCardProblems(card)).toEqual([]);
    expect(JSON.stringify(card)).toContain('Login failures');
    const [incident] = await database.db.select().from(t.incident).where(eq(t.incident.title, 'Login failures'));
    expect(incident).toMatchObject({ severity: 'SEV2', summary: 'Users cannot sign in' });
  });

  it('a personal chat hosts its incident: later commands there need no INC-n', async () => {
    const calls = await repliesTo(personal('severity 1'));
    expect(JSON.stringify(calls.map((c) => c.body))).toMatch(/SEV1/);
  });

  it('a retried activity (same id) records nothing new', async () => {
    const activity = personal('update retried note');
    await repliesTo(activity);
    await repliesTo(activity);
    const notes = await database.db.select().from(t.timelineEntry).where(eq(t.timelineEntry.text, 'retried note'));
    expect(notes).toHaveLength(1);
  });

  it('rejects a body that is not JSON with 400', async () => {
    const res = await fetch(`${h.url}/api/messages`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{not json' });
    expect(res.status).toBe(400);
  });

  it('every connector call matched the Connector API and every card the 1.5 schema', () => {
    expect(h.connector.problems).toEqual([]);
  });
});
