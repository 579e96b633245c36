import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { chatPlatformsOf } from '../../../src/chat/platforms.ts';
import { locationOf } from '../../../src/chat/teams/conversation-store.ts';
import * as t from '../../../src/db/schema.ts';
import { createTestDatabase, describeDb, type TestDatabase } from '../../helpers/database.ts';
import type { ConnectorCall } from '../../helpers/teams/connector-server.ts';
import { mentionMessage, TEAMS_CHANNEL as CHANNEL } from '../../helpers/teams/activities.ts';
import { openTeamsHarness, type TeamsHarness } from '../../helpers/teams/harness.ts';

let database: TestDatabase;
let h: TeamsHarness;

beforeAll(async () => {
  database = await createTestDatabase();
  // The channel commands are said in is also the incidents channel: announcements go there.
  h = await openTeamsHarness(database, { env: { INCIDENTS_CHANNEL: CHANNEL } });
});
afterAll(async () => {
  await h?.close();
  await database?.drop();
});

const MINUTE = 60_000;

/** The recorded channel @mention saying `command` in `conversationId` (a new thread by default). */
const mention = (command: string, conversationId?: string) => mentionMessage(h.connector.url, command, { conversationId });

const json = (v: unknown) => JSON.stringify(v);
const ok = (c: ConnectorCall) => c.status < 300;
const of = (calls: ConnectorCall[], operation: string) => calls.filter((c) => c.operationId === `Conversations_${operation}`);

describeDb('Teams: the turn answers, the worker sends', () => {
  /** The first incident's thread and its header card, once the worker has made them. */
  let thread = '';
  let headerId = '';

  it('a declare is answered while the connector holds every proactive call; the thread and header arrive from the worker afterwards', async () => {
    h.connector.hold();
    const from = h.connector.calls.length;
    const res = await h.post(mention('declare Slow connector outage'));
    expect(res.status).toBe(200);
    // Answered: the invoker's reply went out inside the turn, and nothing else did.
    const answered = h.connector.since(from);
    expect(answered.map((c) => c.operationId)).toEqual(['Conversations_ReplyToActivity']);
    expect(json(answered[0]!.body)).toContain('Slow connector outage');
    // The worker picked the thread up on its own and is stuck on the held connector.
    await vi.waitFor(() => expect(h.connector.heldCount).toBeGreaterThan(0), { timeout: 10_000 });
    h.connector.release();
    await h.settle();
    const [create] = of(h.connector.since(from), 'CreateConversation');
    expect(create?.body.channelData).toMatchObject({ channel: { id: CHANNEL } });
    expect(json(create!.body.activity)).toContain('Slow connector outage');
    const [place] = await database.db.select().from(t.teamsConversation).where(eq(t.teamsConversation.purpose, 'incident'));
    thread = place!.conversationId!;
    headerId = place!.headerActivityId!;
    expect(headerId).toBe((create!.reply as { activityId: string }).activityId);
    // The announcement in the incidents channel came from the worker too: a new post in the channel itself.
    const announcements = of(h.connector.since(from), 'SendToConversation').filter((c) => c.params.conversationId === CHANNEL);
    expect(announcements.map((c) => json(c.body).includes('declared by'))).toEqual([true]);
  });

  it('a command in the thread is answered while the header edit is held, and the edit lands afterwards', async () => {
    h.connector.hold();
    const from = h.connector.calls.length;
    const res = await h.post(mention('severity 1', thread));
    expect(res.status).toBe(200);
    expect(h.connector.since(from).map((c) => c.operationId)).toEqual(['Conversations_ReplyToActivity']);
    await vi.waitFor(() => expect(h.connector.heldCount).toBeGreaterThan(0), { timeout: 10_000 });
    h.connector.release();
    await h.settle();
    const [edit] = of(h.connector.since(from), 'UpdateActivity');
    expect(edit?.params).toMatchObject({ conversationId: thread, activityId: headerId });
    expect(json(edit!.body)).toContain('SEV1');
  });

  it('a refused command queues nothing for Teams: no header edit, no message', async () => {
    const [before] = await database.db.select().from(t.teamsConversation).where(eq(t.teamsConversation.conversationId, thread));
    const messages = (await database.db.select().from(t.teamsMessage)).length;
    const from = h.connector.calls.length;
    const refused = await h.post(mention('severity 9', thread));
    expect(refused.status).toBe(200);
    await h.settle();
    expect(h.connector.since(from).map((c) => c.operationId)).toEqual(['Conversations_ReplyToActivity']);
    const [after] = await database.db.select().from(t.teamsConversation).where(eq(t.teamsConversation.conversationId, thread));
    expect(after!.headerVersion).toBe(before!.headerVersion);
    expect(await database.db.select().from(t.teamsMessage)).toHaveLength(messages);
  });

  it('a 429 with Retry-After is retried no sooner than it asks, and the thread with its header is made once', async () => {
    h.connector.failNext(1, 429, { 'Retry-After': '30' }, (op) => op === 'Conversations_CreateConversation');
    const from = h.connector.calls.length;
    const res = await h.post(mention('declare Throttled connector'));
    expect(res.status).toBe(200);
    await h.settle();
    expect(of(h.connector.since(from), 'CreateConversation').map((c) => c.status)).toEqual([429]);
    // A message queued meanwhile re-arms the send job, but the conversation waits out Retry-After.
    const [opening] = await database.db.select().from(t.teamsConversation).where(eq(t.teamsConversation.state, 'opening'));
    await chatPlatformsOf(h.runtime).get('teams')!.post(locationOf(opening!), { text: 'queued while throttled' });
    await h.settle();
    expect(of(h.connector.since(from), 'CreateConversation')).toHaveLength(1);
    // The backoff alone (5 s at first) would have retried by now; Retry-After says 30 s.
    h.clock.advance(29_000);
    await h.settle();
    expect(of(h.connector.since(from), 'CreateConversation').filter(ok)).toHaveLength(0);
    h.clock.advance(1_000);
    await h.settle();
    const creates = of(h.connector.since(from), 'CreateConversation');
    expect(creates.map((c) => c.status)).toEqual([429, 201]);
    expect(json(creates[1]!.body.activity)).toContain('Throttled connector');
    const rows = await database.db.select().from(t.teamsConversation).where(eq(t.teamsConversation.rootActivityId, (creates[1]!.reply as { activityId: string }).activityId));
    expect(rows).toHaveLength(1);
    expect(rows[0]!.headerActivityId).toBe(rows[0]!.rootActivityId);
    // Nothing else posted a second header card; the queued message followed, in the new thread.
    const posts = of(h.connector.since(from), 'SendToConversation').filter((c) => c.params.conversationId !== CHANNEL);
    expect(posts.filter((c) => json(c.body).includes('Throttled connector'))).toHaveLength(0);
    expect(posts.map((c) => [c.params.conversationId, json(c.body).includes('queued while throttled')])).toEqual([[rows[0]!.conversationId, true]]);
  });

  it('a 500 is retried with backoff; the message is delivered once, and the header edit before it is not repeated', async () => {
    const teams = chatPlatformsOf(h.runtime).get('teams')!;
    h.connector.failNext(1, 500, {}, (op) => op === 'Conversations_SendToConversation');
    const from = h.connector.calls.length;
    await teams.upsertHeader(thread, headerId!, { text: 'ignored: the header is rendered from the database' });
    await teams.post(thread, { text: 'email 5/10' });
    await h.settle();
    expect(of(h.connector.since(from), 'SendToConversation').map((c) => c.status)).toEqual([500]);
    h.clock.advance(5 * MINUTE);
    await h.settle();
    const calls = h.connector.since(from);
    const posts = of(calls, 'SendToConversation');
    expect(posts.map((c) => c.status)).toEqual([500, 201]);
    expect(posts.every((c) => c.params.conversationId === thread && json(c.body).includes('email 5/10'))).toBe(true);
    // The header was edited in place once, before the failure; the retry did not edit it again.
    expect(of(calls, 'UpdateActivity').map((c) => c.params.activityId)).toEqual([headerId]);
  });

  it('a message Teams refuses for good (403) is given up and does not hold up the next one', async () => {
    const teams = chatPlatformsOf(h.runtime).get('teams')!;
    h.connector.failNext(1, 403, {}, (op) => op === 'Conversations_SendToConversation');
    const from = h.connector.calls.length;
    const refused = await teams.post(thread, { text: 'refused message' });
    await teams.post(thread, { text: 'next message' });
    await h.settle();
    const posts = of(h.connector.since(from), 'SendToConversation');
    expect(posts.map((c) => [c.status, json(c.body).includes('refused message')])).toEqual([
      [403, true],
      [201, false],
    ]);
    const [row] = await database.db.select().from(t.teamsMessage).where(eq(t.teamsMessage.id, refused));
    expect(row?.failedAt).not.toBeNull();
  });

  it('every connector call matched the Connector API and every card the Adaptive Card 1.5 schema', () => {
    expect(h.connector.problems).toEqual([]);
  });
});
