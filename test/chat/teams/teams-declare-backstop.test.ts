import { TurnContext } from 'botbuilder';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { declareIncident } from '../../../src/app/declare-incident.ts';
import { INCIDENT_PLACE_BACKSTOP_MS } from '../../../src/app/incident-place.ts';
import { partsOfReference } from '../../../src/chat/teams/conversation-store.ts';
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

const placesOf = (incidentId: string) => database.db.select().from(t.teamsConversation).where(eq(t.teamsConversation.incidentId, incidentId));

describeDb('Teams: a declaration whose turn stopped before opening its place', () => {
  it('gets its thread from the backstop job the declaration committed, once the turn had its time', async () => {
    // What a turn commits before it dies: the declaration, with where it was said.
    const activity = mentionMessage(h.connector.url, 'declare Payments down');
    const parts = partsOfReference({ ...(TurnContext.getConversationReference(activity as never) as unknown as Record<string, unknown>), channelData: activity.channelData });
    const actor = { platform: 'teams' as const, id: 'aad-1', name: 'Hana', lang: 'en' };
    const { outcome } = await declareIncident(h.runtime.app, { actor, idempotencyKey: `teams:test:${activity.id}`, origin: { platform: 'teams', conversation: { ...parts } } }, { title: 'Payments down' });
    await h.settle();
    expect(await placesOf(outcome.incidentId)).toHaveLength(0);

    const from = h.connector.calls.length;
    h.clock.advance(INCIDENT_PLACE_BACKSTOP_MS);
    await h.settle();
    const [place, ...more] = await placesOf(outcome.incidentId);
    expect(more).toEqual([]);
    expect(place).toMatchObject({ state: 'open', channelId: parts!.channelId });
    // Its first post is the live header, in the channel the declaration came from.
    const header = h.connector.since(from).find((c) => JSON.stringify(c.body).includes('Payments down'));
    expect(header).toBeDefined();
  });

  it('finds the place a living turn opened and adds nothing', async () => {
    expect((await h.post(mentionMessage(h.connector.url, 'declare Search slow'))).status).toBe(200);
    await h.settle();
    const [incident] = await database.db.select().from(t.incident).where(eq(t.incident.title, 'Search slow'));
    expect(await placesOf(incident!.id)).toHaveLength(1);
    const from = h.connector.calls.length;
    h.clock.advance(INCIDENT_PLACE_BACKSTOP_MS);
    await h.settle();
    expect(await placesOf(incident!.id)).toHaveLength(1);
    expect(h.connector.since(from).filter((c) => c.operationId !== 'Conversations_UpdateActivity')).toEqual([]);
    const [job] = await database.db.select().from(t.scheduledJob).where(eq(t.scheduledJob.key, `incident.place:${incident!.id}:teams`));
    expect(job?.state).toBe('done');
  });
});
