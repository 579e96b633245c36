import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { chatPlatformsOf } from '../../../src/chat/platforms.ts';
import * as t from '../../../src/db/schema.ts';
import { createTestDatabase, describeDb, type TestDatabase } from '../../helpers/database.ts';
import { invokeActivity, mentionMessage, TEAMS_CHANNEL as CHANNEL } from '../../helpers/teams/activities.ts';
import { type TeamsHarness, openTeamsHarness } from '../../helpers/teams/harness.ts';
import { adaptiveCardProblems, cardsIn } from '../../helpers/teams/schemas.ts';
import { TOUCH_DELAY_MS } from '../../../src/app/incident-changed.ts';

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

/** The recorded channel @mention saying `command` in `conversationId` (a new thread by default). */
const mention = (command: string, conversationId?: string) => mentionMessage(h.connector.url, command, { conversationId });

/** An Action.Execute press on a card in the thread. */
const execute = (verb: string, data: Record<string, unknown>, conversationId: string) =>
  invokeActivity(mention('', conversationId), verb, data, { locale: 'en-US', channelData: true });

function textOf(body: Record<string, unknown>): string {
  return JSON.stringify(body);
}

describeDb('Teams: a full incident over the Bot Framework wire format', () => {
  let thread = '';
  let updateId = '';

  it('declare opens a new thread in the channel with the live header as its root', async () => {
    const from = h.connector.calls.length;
    const res = await h.post(mention('declare API errors in EU --sev 2 --components api'));
    expect(res.status).toBe(200);
    // The turn answers its invoker; the thread and its header come from the Teams worker.
    await h.settle();
    const calls = h.connector.since(from);
    const create = calls.find((c) => c.operationId === 'Conversations_CreateConversation');
    expect(create?.body.channelData).toMatchObject({ channel: { id: CHANNEL } });
    const [place] = await database.db.select().from(t.teamsConversation).where(eq(t.teamsConversation.purpose, 'incident'));
    expect(place?.conversationId).toMatch(/;messageid=\d+$/);
    thread = place!.conversationId!;
    // The root post is the header, and its activity id is stored so later edits land on it.
    expect(textOf(create!.body.activity as Record<string, unknown>)).toContain('INC-');
    expect(place!.headerActivityId).toBe((create!.reply as { activityId: string }).activityId);
    const [ref] = await database.db.select().from(t.chatRef).where(eq(t.chatRef.incidentId, place!.incidentId!));
    expect(ref).toMatchObject({ platform: 'teams', purpose: 'incident' });
    const reply = calls.find((c) => c.operationId === 'Conversations_ReplyToActivity' || c.operationId === 'Conversations_SendToConversation');
    expect(textOf(reply!.body)).toContain('API errors in EU');
  });

  it('update in the incident thread adds a note and edits the header (its age) a moment later', async () => {
    const from = h.connector.calls.length;
    const res = await h.post(mention('update DB failover started', thread));
    expect(res.status).toBe(200);
    await h.settle();
    expect(h.connector.since(from).filter((c) => c.operationId === 'Conversations_UpdateActivity')).toEqual([]);
    h.clock.advance(TOUCH_DELAY_MS);
    await h.settle();
    const calls = h.connector.since(from);
    const [place] = await database.db.select().from(t.teamsConversation).where(eq(t.teamsConversation.conversationId, thread));
    const edits = calls.filter((c) => c.operationId === 'Conversations_UpdateActivity');
    expect(edits).toHaveLength(1);
    expect(edits[0]!.params).toMatchObject({ conversationId: thread, activityId: place!.headerActivityId });
    expect(textOf(edits[0]!.body)).toContain('INC-');
  });

  it('the platform the part registered on the runtime posts and edits in the incident thread without a turn', async () => {
    const teams = chatPlatformsOf(h.runtime).get('teams')!;
    const from = h.connector.calls.length;
    const id = await teams.post(thread, { text: 'email 1/2' });
    await h.settle();
    await teams.update(thread, id, { text: 'email 2/2' });
    await h.settle();
    const calls = h.connector.since(from);
    const post = calls.find((c) => c.operationId === 'Conversations_SendToConversation' && c.params.conversationId === thread);
    expect(textOf(post!.body)).toContain('email 1/2');
    const edit = calls.find((c) => c.operationId === 'Conversations_UpdateActivity');
    expect(edit?.params).toMatchObject({ conversationId: thread, activityId: (post!.reply as { id: string }).id });
    expect(textOf(edit!.body)).toContain('email 2/2');
  });

  it('publish posts a preview card with Publish / Edit translation / Cancel as Action.Execute', async () => {
    const from = h.connector.calls.length;
    await h.post(mention('publish We are investigating errors on the API.', thread));
    const cards = h.connector.since(from).flatMap((c) => cardsIn(c.body)) as { actions?: { type: string; verb: string; data: { updateId: string } }[] }[];
    const preview = cards.find((c) => c.actions?.length);
    expect(preview?.actions?.map((a) => [a.type, a.verb])).toEqual([
      ['Action.Execute', 'publish_update'],
      ['Action.Execute', 'edit_translation'],
      ['Action.Execute', 'cancel_update'],
    ]);
    updateId = preview!.actions![0]!.data.updateId;
  });

  it('Edit translation answers with one Input.Text per language, and saving refreshes the preview', async () => {
    const form = await h.post(execute('edit_translation', { updateId }, thread));
    const card = (form.body as { value: { body: { type: string; id?: string }[] } }).value;
    expect(adaptiveCardProblems(card)).toEqual([]);
    expect(card.body.filter((b) => b.type === 'Input.Text').map((b) => b.id)).toEqual(['lang_en', 'lang_ja']);
    const saved = await h.post(execute('save_translation', { updateId, lang_en: 'We are investigating errors on the API.', lang_ja: 'APIのエラーを調査しています。' }, thread));
    expect(JSON.stringify(saved.body)).toContain('APIのエラーを調査しています。');
    expect(adaptiveCardProblems((saved.body as { value: unknown }).value)).toEqual([]);
  });

  it('two Publish presses publish once, and the card is refreshed without buttons', async () => {
    const first = await h.post(execute('publish_update', { updateId }, thread));
    const second = await h.post(execute('publish_update', { updateId }, thread));
    for (const res of [first, second]) {
      expect(res.status).toBe(200);
      const body = res.body as { statusCode: number; type: string; value: { actions?: unknown[] } };
      expect(body.statusCode).toBe(200);
      expect(body.type).toBe('application/vnd.microsoft.card.adaptive');
      expect(body.value.actions ?? []).toEqual([]);
      expect(adaptiveCardProblems(body.value)).toEqual([]);
    }
    expect(JSON.stringify(second.body)).toMatch(/already/i);
    const [update] = await database.db.select().from(t.publicUpdate).where(eq(t.publicUpdate.id, updateId));
    expect(update?.state).toBe('published');
    const entries = await database.db.select().from(t.timelineEntry).where(eq(t.timelineEntry.incidentId, update!.incidentId));
    expect(entries.filter((e) => e.kind === 'public_update')).toHaveLength(1);
  });

  it('close resolves the incident', async () => {
    const from = h.connector.calls.length;
    await h.post(mention('close All systems are back to normal.', thread));
    await h.settle();
    const all = JSON.stringify(h.connector.since(from).map((c) => c.body));
    expect(all).toMatch(/closed|resolved/i);
  });

  it('every connector call matched the Connector API and every card the Adaptive Card 1.5 schema', () => {
    expect(h.connector.calls.length).toBeGreaterThan(5);
    expect(h.connector.problems).toEqual([]);
  });
});
