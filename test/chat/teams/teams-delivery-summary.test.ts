import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { chatPlatformsOf } from '../../../src/chat/platforms.ts';
import * as t from '../../../src/db/schema.ts';
import { createDeliveryWorker } from '../../../src/outbox/delivery-worker.ts';
import type { DeliveryProgress } from '../../../src/outbox/progress.ts';
import { createChatChannel } from '../../../src/publish/announce.ts';
import { makeContext, testI18n } from '../../app/helpers.ts';
import { createTestDatabase, describeDb, type TestDatabase } from '../../helpers/database.ts';
import { mentionMessage } from '../../helpers/teams/activities.ts';
import { openTeamsHarness, type TeamsHarness } from '../../helpers/teams/harness.ts';
import { addSubscriber, deliveriesOf, publishSample } from '../../publish/helpers.ts';

let database: TestDatabase;
let h: TeamsHarness;
let thread = '';

beforeAll(async () => {
  database = await createTestDatabase();
  h = await openTeamsHarness(database);
  // A Teams thread tsuiki has a conversation reference for: a subscriber's channel.
  await h.post(mentionMessage(h.connector.url, 'declare Subscribed thread --sev 3'));
  await h.settle();
  const [place] = await database.db.select().from(t.teamsConversation).where(eq(t.teamsConversation.purpose, 'incident'));
  thread = place!.conversationId!;
  // The helper's kinds predate Teams subscriptions; the delivery worker reads any kind.
  await addSubscriber(database.db, { kind: 'teams' as 'slack', address: thread });
});
afterAll(async () => {
  await h?.close();
  await database?.drop();
});

/** Publishes a sample update to a Teams subscriber and runs the delivery worker over Teams; returns the final progress. */
async function publishToTeams(title: string): Promise<{ progress: DeliveryProgress | undefined; updateId: string }> {
  const teams = chatPlatformsOf(h.runtime).get('teams')!;
  const { ctx } = makeContext(database.db);
  const { updateId } = await publishSample(ctx, { title });
  let final: DeliveryProgress | undefined;
  const worker = createDeliveryWorker({
    db: database.db,
    clock: h.clock,
    channels: { chat: createChatChannel(teams, testI18n()) },
    reporter: { progress: async (p) => ((final = p.updateId === updateId && p.final ? p : final), 'ref') },
  });
  await worker.drain();
  return { progress: final, updateId };
}

describeDb('Teams: a publishing delivery counts once Teams has it', () => {
  it('a post Teams refuses for good is dead in the fan-out summary, with Teams\' error', async () => {
    h.connector.failNext(1, 403);
    const { progress, updateId } = await publishToTeams('Refused in Teams');
    const [delivery] = (await deliveriesOf(database.db, updateId)).filter((d) => d.target === 'chat');
    expect(delivery?.state).toBe('dead');
    expect(progress?.targets.find((x) => x.target === 'chat')).toMatchObject({ total: 1, delivered: 0, dead: 1 });
    expect(progress?.failures[0]).toMatchObject({ target: 'chat', address: thread });
    expect(progress?.failures[0]?.error).toMatch(/Teams refused the message: .*403/);
  });

  it('a post Teams accepts is delivered only once it was sent, and posted once', async () => {
    const from = h.connector.calls.length;
    const { progress, updateId } = await publishToTeams('Accepted in Teams');
    const [delivery] = (await deliveriesOf(database.db, updateId)).filter((d) => d.target === 'chat');
    expect(delivery?.state).toBe('delivered');
    expect(progress?.targets.find((x) => x.target === 'chat')).toMatchObject({ total: 1, delivered: 1, dead: 0 });
    const posts = h.connector.since(from).filter((c) => c.operationId === 'Conversations_SendToConversation' && JSON.stringify(c.body).includes('Accepted in Teams'));
    expect(posts).toHaveLength(1);
  });
});
