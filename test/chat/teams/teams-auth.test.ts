import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import * as t from '../../../src/db/schema.ts';
import { createTestDatabase, describeDb, type TestDatabase } from '../../helpers/database.ts';
import { ChannelTokenIssuer, staticCredentials } from '../../helpers/teams/bot-auth.ts';
import { personalMessage } from '../../helpers/teams/activities.ts';
import { openTeamsHarness, type TeamsHarness } from '../../helpers/teams/harness.ts';

const APP_ID = '11111111-2222-3333-4444-555555555555';
let database: TestDatabase;
let issuer: ChannelTokenIssuer;
let h: TeamsHarness;

beforeAll(async () => {
  database = await createTestDatabase();
  issuer = await new ChannelTokenIssuer().start();
  h = await openTeamsHarness(database, {
    env: { MicrosoftAppId: APP_ID, MicrosoftAppPassword: 'not-used', MicrosoftAppType: 'MultiTenant' },
    part: { enableWithoutAppId: false, credentialsFactory: staticCredentials(APP_ID, 'outbound-token'), authOptions: issuer.authOptions() },
  });
});
afterAll(async () => {
  await h?.close();
  await issuer?.stop();
  await database?.drop();
});

const listCommand = () => personalMessage(h.connector.url, 'list');

describeDb('Teams: Bot Framework authentication with MicrosoftAppId set', () => {
  it('rejects an activity without a token, and records and sends nothing', async () => {
    const before = h.connector.calls.length;
    const res = await h.post(listCommand());
    expect(res.status).toBe(401);
    expect(h.connector.calls.length).toBe(before);
    expect(await database.db.select().from(t.commandReceipt)).toHaveLength(0);
  });

  it('rejects a token signed by a key the issuer never published', async () => {
    const activity = listCommand();
    const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const res = await h.post(activity, { Authorization: `Bearer ${issuer.token(APP_ID, String(activity.serviceUrl), stranger)}` });
    expect(res.status).toBe(401);
  });

  it('rejects a valid token minted for another bot', async () => {
    const activity = listCommand();
    const res = await h.post(activity, { Authorization: `Bearer ${issuer.token('another-app', String(activity.serviceUrl))}` });
    expect(res.status).toBe(401);
  });

  it('accepts a valid channel token and answers with the outbound credentials', async () => {
    const activity = listCommand();
    const before = h.connector.calls.length;
    const res = await h.post(activity, { Authorization: `Bearer ${issuer.token(APP_ID, String(activity.serviceUrl))}` });
    expect(res.status).toBe(200);
    const calls = h.connector.since(before);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.authorization).toBe('Bearer outbound-token');
    expect(h.connector.problems).toEqual([]);
  });
});
