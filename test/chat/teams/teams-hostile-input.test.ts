import { randomUUID } from 'node:crypto';
import { count, eq } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CARD_VERBS } from '../../../src/chat/teams/cards.ts';
import * as t from '../../../src/db/schema.ts';
import { testI18n } from '../../app/helpers.ts';
import { createTestDatabase, describeDb, type TestDatabase } from '../../helpers/database.ts';
import { ChannelTokenIssuer, staticCredentials } from '../../helpers/teams/bot-auth.ts';
import { invokeActivity, personalMessage } from '../../helpers/teams/activities.ts';
import { openTeamsHarness, type TeamsHarness } from '../../helpers/teams/harness.ts';
import { adaptiveCardProblems } from '../../helpers/teams/schemas.ts';

/**
 * Input no real Teams client sends, as the fault suite's fuzzer found it: malformed
 * activities, card presses naming no update, option-like text in the declare form.
 */

const APP_ID = '11111111-2222-3333-4444-555555555555';
let database: TestDatabase;
let h: TeamsHarness;
let issuer: ChannelTokenIssuer;
// Authentication on: a process of its own, on a database of its own.
let authDatabase: TestDatabase;
let authed: TeamsHarness;

beforeAll(async () => {
  database = await createTestDatabase();
  h = await openTeamsHarness(database);
  issuer = await new ChannelTokenIssuer().start();
  authDatabase = await createTestDatabase();
  authed = await openTeamsHarness(authDatabase, {
    env: { MicrosoftAppId: APP_ID, MicrosoftAppPassword: 'not-used', MicrosoftAppType: 'MultiTenant' },
    part: { enableWithoutAppId: false, credentialsFactory: staticCredentials(APP_ID, 'outbound-token'), authOptions: issuer.authOptions() },
  });
});
afterAll(async () => {
  await authed?.close();
  await h?.close();
  await issuer?.stop();
  await authDatabase?.drop();
  await database?.drop();
});

/** The recorded personal-chat message saying `text`, with a fresh activity id, from `connector`'s Teams. */
const message = (text: string, connector = h.connector): Record<string, unknown> => personalMessage(connector.url, text, { locale: 'en-US' });

/** An Action.Execute press on a card in the personal chat. */
const execute = (verb: string, data: Record<string, unknown>) => invokeActivity(personalMessage(h.connector.url, '', { locale: 'en-US' }), verb, data, { locale: 'en-US' });

/** The text a card shows (its TextRuns), without the fallback text clients without cards show instead. */
function shown(card: unknown): string[] {
  const runs: string[] = [];
  JSON.stringify((card as { body?: unknown }).body, (key, value: unknown) => {
    if (value && typeof value === 'object' && (value as { type?: unknown }).type === 'TextRun') runs.push(String((value as { text: unknown }).text));
    return value;
  });
  return runs;
}

/** Rows in every table a Teams turn writes to. */
async function written(db = database.db): Promise<number[]> {
  const tables: PgTable[] = [t.incident, t.timelineEntry, t.auditEvent, t.commandReceipt, t.chatRef, t.teamsConversation, t.teamsMessage];
  return Promise.all(tables.map(async (table) => Number((await db.select({ n: count() }).from(table))[0]!.n)));
}

function without(key: string) {
  return (a: Record<string, unknown>) => {
    delete a[key];
  };
}
function setting(key: string, value: unknown) {
  return (a: Record<string, unknown>) => {
    a[key] = value;
  };
}

const MALFORMED: [string, (a: Record<string, unknown>) => void][] = [
  ['no type', without('type')],
  ['a numeric type', setting('type', 5)],
  ['a null type', setting('type', null)],
  ['an object type', setting('type', { message: true })],
  ['an empty type', setting('type', '')],
  ['no conversation', without('conversation')],
  ['a string conversation', setting('conversation', 'a:1')],
  ['a conversation id that is a number', setting('conversation', { id: 5 })],
  ['no from', without('from')],
  ['a null from', setting('from', null)],
  ['a numeric recipient', setting('recipient', 5)],
  ['a numeric text', setting('text', 5)],
  ['a numeric locale', setting('locale', 5)],
  ['entities that are a string', setting('entities', 'mention')],
  ['channelData that is an array', setting('channelData', [1])],
  ['a numeric serviceUrl', setting('serviceUrl', 5)],
];

const NO_SERVICE_URL: [string, (a: Record<string, unknown>) => void][] = [
  ['no serviceUrl', without('serviceUrl')],
  ['an empty serviceUrl', setting('serviceUrl', '')],
  ['a serviceUrl that is no URL', setting('serviceUrl', 'smba.trafficmanager.net/amer/')],
  ['an ftp serviceUrl', setting('serviceUrl', 'ftp://127.0.0.1/')],
  ['a javascript: serviceUrl', setting('serviceUrl', 'javascript:alert(1)')],
];

describeDb('Teams: malformed activities', () => {
  it('the well-formed activity the cases below start from declares an incident', async () => {
    const before = await written();
    const res = await h.post(message('declare Hostile input control --sev 2'));
    expect(res.status).toBe(200);
    expect(await written()).not.toEqual(before);
    // What the declaration queued is sent now, not during the cases below.
    await h.settle();
  });

  it.each([...MALFORMED, ...NO_SERVICE_URL])('an activity with %s is answered 400 without a stack, and nothing is recorded or sent', async (_name, mutate) => {
    const activity = message('declare Should not exist --sev 1');
    mutate(activity);
    const [before, calls] = [await written(), h.connector.calls.length];
    const res = await h.post(activity);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'bad_request' });
    expect(JSON.stringify(res.body)).not.toMatch(/Error|\bat .*\.(ts|js)/);
    expect(await written()).toEqual(before);
    expect(h.connector.calls.length).toBe(calls);
  });

  it.each([
    ['not JSON', '{"type":"message",'],
    ['a JSON array', '[{"type":"message"}]'],
    ['a JSON string', '"message"'],
  ])('a body that is %s is answered 400', async (_name, body) => {
    const before = await written();
    const res = await fetch(`${h.url}/api/messages`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'bad_request' });
    expect(await written()).toEqual(before);
  });
});

describeDb('Teams: an activity without a usable serviceUrl, authentication on', () => {
  it('a correctly signed activity is answered (the control)', async () => {
    const activity = message('declare Signed control', authed.connector);
    const before = await written(authDatabase.db);
    const res = await authed.post(activity, { Authorization: `Bearer ${issuer.token(APP_ID, String(activity.serviceUrl))}` });
    expect(res.status).toBe(200);
    expect(await written(authDatabase.db)).not.toEqual(before);
    await authed.settle();
  });

  it.each(NO_SERVICE_URL)('a signed activity with %s is answered 400 before authentication', async (_name, mutate) => {
    const activity = message('declare Should not exist either', authed.connector);
    const token = issuer.token(APP_ID, String(activity.serviceUrl));
    mutate(activity);
    const [before, calls] = [await written(authDatabase.db), authed.connector.calls.length];
    const res = await authed.post(activity, { Authorization: `Bearer ${token}` });
    expect(res.status).toBe(400);
    expect(await written(authDatabase.db)).toEqual(before);
    expect(authed.connector.calls.length).toBe(calls);
  });
});

const NOT_FOUND = testI18n().t('en')('errors.update_not_found');
const APOLOGY = testI18n().t('en')('errors.internal', { reference: 'REF' }).split('REF')[0]!;

describeDb('Teams: card buttons naming no update', () => {
  const verbs = [CARD_VERBS.publish, CARD_VERBS.cancel, CARD_VERBS.retry, CARD_VERBS.edit, CARD_VERBS.saveTranslation, CARD_VERBS.backToPreview];
  const ids: [string, Record<string, unknown>][] = [
    ['no updateId', {}],
    ['an empty updateId', { updateId: '' }],
    ['an updateId that is not a uuid', { updateId: 'not-a-uuid' }],
    ['a numeric updateId', { updateId: 42 }],
    ['an updateId that is an object', { updateId: { id: randomUUID() } }],
    ['a uuid no update has', { updateId: randomUUID() }],
  ];
  const cases = verbs.flatMap((verb) => ids.map(([name, data]) => [verb, name, data] as const));

  it.each(cases)('%s with %s answers a card saying the update does not exist, once', async (verb, _name, data) => {
    const res = await h.post(execute(verb, { ...data, lang_en: 'Typed translation.' }));
    expect(res.status).toBe(200);
    const body = res.body as { statusCode: number; value: unknown };
    expect(body.statusCode).toBe(200);
    expect(adaptiveCardProblems(body.value)).toEqual([]);
    const text = shown(body.value);
    expect(text.join('\n')).not.toContain(APOLOGY);
    expect(text.filter((line) => line === NOT_FOUND)).toHaveLength(1);
  });
});

describeDb('Teams: the declare form', () => {
  it('a title with option-like words declares a public SEV of the form with that literal title', async () => {
    const title = `API down --private --sev 1 ${randomUUID().slice(0, 8)}`;
    const res = await h.post(execute(CARD_VERBS.declare, { title, severity: 'SEV2', components: 'api', summary: '--components console', private: 'false' }));
    const body = res.body as { statusCode: number; value: unknown };
    expect(body.statusCode).toBe(200);
    expect(adaptiveCardProblems(body.value)).toEqual([]);
    const [incident] = await database.db.select().from(t.incident).where(eq(t.incident.title, title));
    expect(incident).toMatchObject({ title, severity: 'SEV2', visibility: 'public', summary: '--components console' });
    const components = await database.db.select().from(t.incidentComponent).where(eq(t.incidentComponent.incidentId, incident!.id));
    expect(components.map((c) => c.componentId)).toEqual(['api']);
    expect(shown(body.value).join('\n')).toContain(title);
  });

  it('the private toggle makes the incident private, whatever the title says', async () => {
    const title = `Quiet one --sev=4 ${randomUUID().slice(0, 8)}`;
    await h.post(execute(CARD_VERBS.declare, { title, severity: 'SEV1', private: 'true' }));
    const [incident] = await database.db.select().from(t.incident).where(eq(t.incident.title, title));
    expect(incident).toMatchObject({ severity: 'SEV1', visibility: 'private' });
  });

  it('a malformed component id is refused and declares nothing', async () => {
    const before = await written();
    const res = await h.post(execute(CARD_VERBS.declare, { title: 'Bad components', severity: 'SEV3', components: 'api, API!' }));
    const body = res.body as { statusCode: number; value: unknown };
    expect(body.statusCode).toBe(200);
    expect(shown(body.value)).toContain(testI18n().t('en')('errors.bad_argument', { value: 'api!' }));
    expect(await written()).toEqual(before);
  });
});
