import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { chatPlatformsOf } from '../../../src/chat/platforms.ts';
import * as t from '../../../src/db/schema.ts';
import { createTestDatabase, describeDb, type TestDatabase } from '../../helpers/database.ts';
import { ConnectorServer } from '../../helpers/teams/connector-server.ts';
import { mentionMessage } from '../../helpers/teams/activities.ts';
import { openTeamsHarness } from '../../helpers/teams/harness.ts';

let database: TestDatabase;
/** One Teams for both processes: the second reaches what the first stored. */
let connector: ConnectorServer;

beforeAll(async () => {
  database = await createTestDatabase();
  connector = await new ConnectorServer().start();
});
afterAll(async () => {
  await connector?.stop();
  await database?.drop();
});

const json = (v: unknown) => JSON.stringify(v);

const mention = (command: string, conversationId?: string) => mentionMessage(connector.url, command, { conversationId });

describeDb('Teams: a restarted process reaches the conversations from the database', () => {
  let thread = '';
  let headerId = '';

  it('edits the header card the first process posted, by its stored activity id, and posts no second one', async () => {
    const first = await openTeamsHarness(database, { connector });
    try {
      expect((await first.post(mention('declare Restart drill'))).status).toBe(200);
      await first.settle();
    } finally {
      await first.close();
    }
    const [place] = await database.db.select().from(t.teamsConversation).where(eq(t.teamsConversation.purpose, 'incident'));
    thread = place!.conversationId!;
    headerId = place!.headerActivityId!;
    expect(headerId).toMatch(/^\d+$/);

    // A new runtime, Teams part, adapter, connector client and worker: only the database is shared.
    const second = await openTeamsHarness(database, { connector });
    try {
      const from = connector.calls.length;
      expect((await second.post(mention('status identified', thread))).status).toBe(200);
      await second.settle();
      const calls = connector.since(from);
      const edits = calls.filter((c) => c.operationId === 'Conversations_UpdateActivity');
      expect(edits.map((c) => c.params)).toEqual([{ conversationId: thread, activityId: headerId }]);
      expect(json(edits[0]!.body)).toContain('Identified');
      expect(calls.filter((c) => c.operationId === 'Conversations_CreateConversation' || c.operationId === 'Conversations_SendToConversation')).toEqual([]);
    } finally {
      await second.close();
    }
  });

  it('sends, once, what the first process queued but could not deliver before it stopped', async () => {
    const first = await openTeamsHarness(database, { connector });
    const isPost = (op: string | undefined) => op === 'Conversations_SendToConversation';
    const from = connector.calls.length;
    try {
      connector.failNext(1, 503, {}, isPost);
      await chatPlatformsOf(first.runtime).get('teams')!.post(thread, { text: 'posted across a restart' });
      await first.settle();
    } finally {
      await first.close();
    }
    expect(connector.since(from).filter((c) => isPost(c.operationId)).map((c) => c.status)).toEqual([503]);

    const second = await openTeamsHarness(database, { connector });
    try {
      // The retry was due a few seconds after the failure, by the first process's clock.
      second.clock.advance(10 * 60_000);
      await second.settle();
    } finally {
      await second.close();
    }
    const posts = connector.since(from).filter((c) => isPost(c.operationId));
    expect(posts.map((c) => [c.status, c.params.conversationId])).toEqual([
      [503, thread],
      [201, thread],
    ]);
    expect(posts.every((c) => json(c.body).includes('posted across a restart'))).toBe(true);
    expect(connector.problems).toEqual([]);
  });
});
