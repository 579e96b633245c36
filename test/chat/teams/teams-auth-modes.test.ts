import { afterAll, beforeAll, expect, it } from 'vitest';
import { BotTokenSource } from '../../../src/chat/teams/bot-credentials.ts';
import { ConfigError, loadConfig } from '../../../src/config.ts';
import { createTestDatabase, describeDb, type TestDatabase } from '../../helpers/database.ts';
import { ChannelTokenIssuer } from '../../helpers/teams/bot-auth.ts';
import { personalMessage } from '../../helpers/teams/activities.ts';
import { openTeamsHarness, type TeamsHarness } from '../../helpers/teams/harness.ts';
import { TokenServer } from '../../helpers/teams/token-server.ts';

// Outbound tokens are minted for real by tsuiki's credentials, against Microsoft's token
// endpoints served locally (TokenServer); the connector checks every call against
// ConnectorAPI.swagger.json, whose only security scheme is the bearer in `Authorization`.
const APP_ID = '11111111-2222-3333-4444-555555555555';
const MSI_CLIENT_ID = '99999999-8888-7777-6666-555555555555';
const TENANT = 'a1b2c3d4-e5f6-7890-abcd-ef1234567890';
let database: TestDatabase;
let issuer: ChannelTokenIssuer;
let tokens: TokenServer;

beforeAll(async () => {
  database = await createTestDatabase();
  issuer = await new ChannelTokenIssuer().start();
  tokens = await new TokenServer().start();
});
afterAll(async () => {
  await tokens?.stop();
  await issuer?.stop();
  await database?.drop();
});

async function withHarness(env: Record<string, string>, run: (h: TeamsHarness) => Promise<void>, endpoints: { identityEndpoint?: string; identityHeader?: string } = {}): Promise<void> {
  const h = await openTeamsHarness(database, {
    env,
    part: {
      enableWithoutAppId: false,
      authOptions: issuer.authOptions(),
      tokenEndpoints: { loginUrl: tokens.url, identityEndpoint: `${tokens.url}/metadata/identity/oauth2/token`, ...endpoints },
    },
  });
  try {
    await run(h);
  } finally {
    await h.close();
  }
}

/** Says `list` in the recorded personal chat with a channel token for `appId`; returns the connector calls it caused. */
async function answerOnce(h: TeamsHarness, appId: string) {
  const activity = personalMessage(h.connector.url, 'list');
  const before = h.connector.calls.length;
  const res = await h.post(activity, { Authorization: `Bearer ${issuer.token(appId, String(activity.serviceUrl))}` });
  expect(res.status).toBe(200);
  expect(h.connector.problems).toEqual([]);
  return h.connector.since(before);
}

describeDb('Teams: outbound tokens per MicrosoftAppType, minted at the HTTP boundary', () => {
  it('SingleTenant (the default): client credentials in MicrosoftAppTenantId, scope api.botframework.com', async () => {
    await withHarness({ MicrosoftAppId: APP_ID, MicrosoftAppPassword: 'single-secret', MicrosoftAppTenantId: TENANT }, async (h) => {
      expect(h.runtime.config.teams.appType).toBe('SingleTenant');
      const before = tokens.requests.length;
      const calls = await answerOnce(h, APP_ID);
      const minted = tokens.requests.slice(before);
      expect(minted).toHaveLength(1);
      expect(minted[0]).toMatchObject({ kind: 'entra', tenant: TENANT });
      expect(Object.fromEntries(minted[0]!.params)).toEqual({ grant_type: 'client_credentials', client_id: APP_ID, client_secret: 'single-secret', scope: 'https://api.botframework.com/.default' });
      expect(calls).toHaveLength(1);
      expect(calls[0]!.operationId).toBe('Conversations_ReplyToActivity');
      expect(calls[0]!.authorization).toBe(`Bearer ${minted[0]!.token}`);
      // The token is cached: a second turn asks Entra for nothing.
      const again = await answerOnce(h, APP_ID);
      expect(tokens.requests.length).toBe(before + 1);
      expect(again[0]!.authorization).toBe(`Bearer ${minted[0]!.token}`);
    });
  });

  it('MultiTenant (existing bots): client credentials in botframework.com', async () => {
    await withHarness({ MicrosoftAppId: APP_ID, MicrosoftAppPassword: 'multi-secret', MicrosoftAppType: 'MultiTenant' }, async (h) => {
      const before = tokens.requests.length;
      const calls = await answerOnce(h, APP_ID);
      const minted = tokens.requests.slice(before);
      expect(minted).toHaveLength(1);
      expect(minted[0]).toMatchObject({ kind: 'entra', tenant: 'botframework.com' });
      expect(minted[0]!.params.get('client_secret')).toBe('multi-secret');
      expect(calls[0]!.authorization).toBe(`Bearer ${minted[0]!.token}`);
    });
  });

  it('UserAssignedMSI: the managed identity endpoint (IMDS) by client id, no password anywhere', async () => {
    const env = { MicrosoftAppId: MSI_CLIENT_ID, MicrosoftAppType: 'UserAssignedMSI', MicrosoftAppTenantId: TENANT };
    await withHarness(env, async (h) => {
      expect(h.runtime.config.teams.appPassword).toBeUndefined();
      const before = tokens.requests.length;
      const calls = await answerOnce(h, MSI_CLIENT_ID);
      const minted = tokens.requests.slice(before);
      expect(minted).toHaveLength(1);
      expect(minted[0]!.kind).toBe('imds');
      expect(minted[0]!.headers.metadata).toBe('true');
      expect(Object.fromEntries(minted[0]!.params)).toEqual({ 'api-version': '2018-02-01', resource: 'https://api.botframework.com', client_id: MSI_CLIENT_ID });
      expect(calls[0]!.authorization).toBe(`Bearer ${minted[0]!.token}`);
    });
  });

  it('UserAssignedMSI on App Service: IDENTITY_ENDPOINT with its IDENTITY_HEADER', async () => {
    const env = { MicrosoftAppId: MSI_CLIENT_ID, MicrosoftAppType: 'UserAssignedMSI', MicrosoftAppTenantId: TENANT, IDENTITY_ENDPOINT: `${tokens.url}/msi/token`, IDENTITY_HEADER: tokens.identityHeader };
    const h = await openTeamsHarness(database, { env, part: { enableWithoutAppId: false, authOptions: issuer.authOptions() } });
    try {
      const before = tokens.requests.length;
      const calls = await answerOnce(h, MSI_CLIENT_ID);
      const minted = tokens.requests.slice(before);
      expect(minted).toHaveLength(1);
      expect(minted[0]!.kind).toBe('app-service');
      expect(minted[0]!.params.get('api-version')).toBe('2019-08-01');
      expect(minted[0]!.params.get('client_id')).toBe(MSI_CLIENT_ID);
      expect(calls[0]!.authorization).toBe(`Bearer ${minted[0]!.token}`);
    } finally {
      await h.close();
    }
  });

  it('a token endpoint that refuses fails the send with its error, never the secret', async () => {
    const source = new BotTokenSource({ appType: 'SingleTenant', appId: APP_ID, appPassword: 'hunter2', tenantId: TENANT }, { loginUrl: `${tokens.url}/nowhere` });
    const error = await source.token().catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(Error);
    expect(String((error as Error).message)).toMatch(/answered 404/);
    expect(String((error as Error).message)).not.toContain('hunter2');
  });

  it('channel tokens are still checked in every mode: one for another bot is refused', async () => {
    await withHarness({ MicrosoftAppId: MSI_CLIENT_ID, MicrosoftAppType: 'UserAssignedMSI', MicrosoftAppTenantId: TENANT }, async (h) => {
      const activity = personalMessage(h.connector.url, 'list');
      const res = await h.post(activity, { Authorization: `Bearer ${issuer.token(APP_ID, String(activity.serviceUrl))}` });
      expect(res.status).toBe(401);
    });
  });
});

describeDb('Teams: TEAMS_PLAYGROUND', () => {
  it('serves Teams without authentication on a loopback HOST', async () => {
    const h = await openTeamsHarness(database, { env: { TEAMS_PLAYGROUND: 'true', HOST: '127.0.0.1' }, part: { enableWithoutAppId: false } });
    try {
      const activity = personalMessage(h.connector.url, 'list');
      const res = await h.post(activity);
      expect(res.status).toBe(200);
      expect(h.connector.calls.at(-1)?.authorization).toBeUndefined();
    } finally {
      await h.close();
    }
  });

  it.each(['0.0.0.0', '192.168.1.10', '::', 'tsuiki.example.com'])('refuses to start on HOST=%s, in one line naming the settings', (host) => {
    const error = (() => {
      try {
        loadConfig({ TEAMS_PLAYGROUND: 'true', HOST: host });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([`TEAMS_PLAYGROUND: serves Teams without authentication, only on a loopback HOST (127.0.0.1, ::1 or localhost); HOST is ${host}`]);
  });

  it('refuses the default HOST (0.0.0.0) and an app id beside it', () => {
    expect(() => loadConfig({ TEAMS_PLAYGROUND: 'true' })).toThrow(/HOST is 0\.0\.0\.0/);
    expect(() => loadConfig({ TEAMS_PLAYGROUND: 'true', HOST: '::1', MicrosoftAppId: APP_ID, MicrosoftAppPassword: 'x', MicrosoftAppTenantId: TENANT })).toThrow(/cannot be combined with MicrosoftAppId/);
    for (const host of ['127.0.0.1', 'localhost', '::1', '[::1]', '127.0.0.2']) expect(loadConfig({ TEAMS_PLAYGROUND: 'true', HOST: host }).teams.playground).toBe(true);
  });
});
