import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { GraphClient } from '../../../src/chat/teams/graph-client.ts';
import * as t from '../../../src/db/schema.ts';
import { createTestDatabase, describeDb, type TestDatabase } from '../../helpers/database.ts';
import { ChannelTokenIssuer, staticCredentials } from '../../helpers/teams/bot-auth.ts';
import { GraphServer } from '../../helpers/teams/graph-server.ts';
import { openTeamsHarness, recorded, type TeamsHarness } from '../../helpers/teams/harness.ts';

const APP_ID = '11111111-2222-3333-4444-555555555555';
const TEAM = '19:team0000000000000000000000000000@thread.tacv2';
const TENANT = 'a1b2c3d4-e5f6-7890-abcd-ef1234567890';
let database: TestDatabase;
let issuer: ChannelTokenIssuer;
let graph: GraphServer;
let h: TeamsHarness;

beforeAll(async () => {
  database = await createTestDatabase();
  issuer = await new ChannelTokenIssuer().start();
  graph = await new GraphServer().start();
  h = await openTeamsHarness(database, {
    env: {
      MicrosoftAppId: APP_ID,
      MicrosoftAppPassword: 'app-secret',
      MicrosoftAppType: 'SingleTenant',
      MicrosoftAppTenantId: TENANT,
      TEAMS_TEAM_ID: TEAM,
      GRAPH_API_URL: `${graph.url}/v1.0`,
    },
    part: { credentialsFactory: staticCredentials(APP_ID, 'outbound-token'), authOptions: issuer.authOptions(), graphLoginUrl: graph.url, graphAgent: graph.agent() },
  });
});
afterAll(async () => {
  await h?.close();
  await graph?.stop();
  await issuer?.stop();
  await database?.drop();
});

/** A command in the recorded channel, signed like the Bot Framework signs it. */
async function say(text: string, conversationId?: string) {
  const activity = recorded('vercel-chat-replay/channel_teams.json', '/mention');
  const id = String(Date.now()) + Math.floor(Math.random() * 1000);
  activity.id = id;
  activity.serviceUrl = h.connector.url;
  activity.text = `<at>${(activity.recipient as { name: string }).name}</at> ${text}`;
  if (conversationId) activity.conversation.id = conversationId;
  return h.post(activity, { Authorization: `Bearer ${issuer.token(APP_ID, h.connector.url)}` });
}

describeDb('Teams: incident channels through Microsoft Graph', () => {
  it('declare creates inc-<n>-<slug> in TEAMS_TEAM_ID with an app-only token, then posts there through the bot', async () => {
    const before = h.connector.calls.length;
    const res = await say('declare Checkout latency --sev 2');
    expect(res.status).toBe(200);
    // Graph and the first post are the Teams worker's, after the turn has answered.
    await h.settle();
    expect(graph.tokenRequests.at(-1)?.get('client_id')).toBe(APP_ID);
    expect(graph.tokenRequests.at(-1)?.get('client_secret')).toBe('app-secret');
    const request = graph.channelRequests.at(-1)!;
    expect(request).toMatchObject({ teamId: TEAM, authorization: `Bearer ${graph.token}`, body: { displayName: 'inc-1-checkout-latency', membershipType: 'standard' } });
    const [channelId] = [...graph.channels.keys()];
    const create = h.connector.since(before).find((c) => c.operationId === 'Conversations_CreateConversation');
    expect(create?.body.channelData).toMatchObject({ channel: { id: channelId } });
    expect(create?.authorization).toBe('Bearer outbound-token');
    const [place] = await database.db.select().from(t.teamsConversation).where(eq(t.teamsConversation.channelId, channelId!));
    expect(place).toMatchObject({ purpose: 'incident', state: 'open', teamId: TEAM, ownsChannel: true, tenantId: TENANT });
    expect(place!.conversationId).toMatch(new RegExp(`^${channelId!.replace(/[.$]/g, '\\$&')};messageid=`));
    const [ref] = await database.db.select().from(t.chatRef).where(eq(t.chatRef.incidentId, place!.incidentId!));
    expect(ref).toMatchObject({ platform: 'teams', purpose: 'incident', teamId: TEAM });
  });

  it('a command in any thread of the incident channel finds the incident without INC-n', async () => {
    const [channelId] = [...graph.channels.keys()];
    const before = h.connector.calls.length;
    await say('update failover done', `${channelId};messageid=424242`);
    const bodies = JSON.stringify(h.connector.since(before).map((c) => c.body));
    expect(bodies).toContain('INC-1');
    expect(bodies).not.toContain('Which incident');
  });

  it('a connector failure after the channel was made retries the thread only: one Graph channel, one thread', async () => {
    const channelsBefore = graph.channelRequests.length;
    const from = h.connector.calls.length;
    h.connector.failNext(1, 502, {}, (op) => op === 'Conversations_CreateConversation');
    expect((await say('declare Payments lag --sev 3')).status).toBe(200);
    await h.settle();
    h.clock.advance(10 * 60_000);
    await h.settle();
    expect(graph.channelRequests.slice(channelsBefore).map((r) => r.body.displayName)).toEqual(['inc-2-payments-lag']);
    const creates = h.connector.since(from).filter((c) => c.operationId === 'Conversations_CreateConversation');
    expect(creates.map((c) => c.status)).toEqual([502, 201]);
    const channelId = [...graph.channels.keys()].at(-1)!;
    expect(creates.map((c) => (c.body.channelData as { channel: { id: string } }).channel.id)).toEqual([channelId, channelId]);
  });

  it('a private incident gets no Graph channel: it stays in the conversation it was declared in', async () => {
    const channelsBefore = graph.channelRequests.length;
    expect((await say('declare Credential leak --private')).status).toBe(200);
    await h.settle();
    expect(graph.channelRequests.length).toBe(channelsBefore);
    const [incident] = await database.db.select().from(t.incident).where(eq(t.incident.title, 'Credential leak'));
    const [place] = await database.db.select().from(t.teamsConversation).where(eq(t.teamsConversation.incidentId, incident!.id));
    const origin = recorded('vercel-chat-replay/channel_teams.json', '/mention') as { channelData?: { channel?: { id?: string } } };
    expect(place).toMatchObject({ purpose: 'incident', ownsChannel: false, channelId: origin.channelData?.channel?.id });
  });

  it("Graph's Retry-After holds the channel creation until it has passed", async () => {
    const channelsBefore = graph.channelRequests.length;
    graph.throttleNext(429, '120');
    expect((await say('declare Throttled by Graph --sev 3')).status).toBe(200);
    await h.settle();
    expect(graph.channelRequests.length).toBe(channelsBefore + 1);
    const [incident] = await database.db.select().from(t.incident).where(eq(t.incident.title, 'Throttled by Graph'));
    const [place] = await database.db.select().from(t.teamsConversation).where(eq(t.teamsConversation.incidentId, incident!.id));
    expect(place!.state).toBe('opening');
    expect(place!.retryAt!.getTime() - h.clock.now().getTime()).toBeGreaterThanOrEqual(120_000);
    // Not before Graph said: a minute later nothing is asked again.
    h.clock.advance(60_000);
    await h.settle();
    expect(graph.channelRequests.length).toBe(channelsBefore + 1);
    h.clock.advance(61_000);
    await h.settle();
    expect(graph.channelRequests.slice(channelsBefore).map((r) => r.body.displayName)).toEqual(['inc-4-throttled-by-graph', 'inc-4-throttled-by-graph']);
    const [opened] = await database.db.select().from(t.teamsConversation).where(eq(t.teamsConversation.id, place!.id));
    expect(opened!.state).toBe('open');
  });

  it('every connector call matched the Connector API', () => {
    expect(h.connector.problems).toEqual([]);
  });
});

describeDb('GraphClient', () => {
  it('refuses to send a token over plain http', async () => {
    const client = new GraphClient({ baseUrl: 'http://127.0.0.1:9/v1.0', loginUrl: 'http://127.0.0.1:9', appId: 'a', appPassword: 'p', tenantId: 't' });
    await expect(client.createChannel('team', { displayName: 'x', description: '' })).rejects.toThrow(/refusing/);
  });

  it('retries a clashing name with -2', async () => {
    const client = new GraphClient({ baseUrl: `${graph.url}/v1.0`, loginUrl: graph.url, appId: APP_ID, appPassword: 's', tenantId: TENANT, agent: graph.agent() });
    const first = await client.createChannel(TEAM, { displayName: 'inc-9-clash', description: 'd' });
    const second = await client.createChannel(TEAM, { displayName: 'inc-9-clash', description: 'd' });
    expect([first.displayName, second.displayName]).toEqual(['inc-9-clash', 'inc-9-clash-2']);
  });
});
