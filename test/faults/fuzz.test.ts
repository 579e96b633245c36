import { desc, eq, gt } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CARD_VERBS } from '../../src/chat/teams/cards.ts';
import { type Actor, storable } from '../../src/core/model.ts';
import * as t from '../../src/db/schema.ts';
import { openConsole } from '../chat/helpers.ts';
import { makeContext, testI18n } from '../app/helpers.ts';
import { createTestDatabase, describeDb, type TestDatabase } from '../helpers/database.ts';
import { type SlackHarness, startSlackHarness } from '../helpers/slack/harness.ts';
import { slashCommandRequest, viewSubmissionRequest } from '../helpers/slack/requests.ts';
import { invokeActivity, mentionMessage, personalMessage } from '../helpers/teams/activities.ts';
import { openTeamsHarness, type TeamsHarness } from '../helpers/teams/harness.ts';
import { adaptiveCardProblems } from '../helpers/teams/schemas.ts';
import { anyJson, commandText, fieldValue, optionLikeText, selectedOption } from './support/fuzz-arbitraries.ts';
import { countAllTables, inconsistencies } from './support/fuzz-invariants.ts';

/**
 * Properties over random input to every front end: nothing crashes, nothing answers 5xx,
 * every command is answered, the server stays ready and the database stays consistent.
 * A failure prints fast-check's seed and path; replay it with `{ seed, path }` in the
 * options of the failing `fc.assert`.
 */

const TARO = 'U0TARO0001';
const HANAKO = 'U0HANAKO01';
const GENERAL = 'C0GENERAL1';

/** Runs per property, chosen so the file stays well under a minute on two cores. */
const RUNS = { slash: 250, declareForm: 50, editForm: 40, teamsMessage: 100, teamsInvoke: 80, teamsDeclareForm: 40, teamsOdd: 60, console: 120 };

/** Where a Slack command's answer can land. */
const ANSWERS = new Set(['response_url', 'chat.postEphemeral', 'chat.postMessage', 'views.open']);

/** The apology the error mapper gives for an unexpected failure, in every language: never the answer to input. */
const APOLOGY = new RegExp(['en', 'ja'].map((lang) => testI18n().t(lang)('errors.internal', { reference: 'REF' }).replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace('REF', '[0-9a-f]{8}')).join('|'));

/** "That public update no longer exists.", in every language. */
const UPDATE_NOT_FOUND = ['en', 'ja'].map((lang) => testI18n().t(lang)('errors.update_not_found'));
/** The start of "No incident {{ref}}." in each language, whatever the ref. */
const INCIDENT_NOT_FOUND = ['en', 'ja'].map((lang) => testI18n().t(lang)('errors.incident_not_found', { ref: '\u0000' }).split('\u0000')[0]!);

let database: TestDatabase;
let slack: SlackHarness;
let teams: TeamsHarness;
let draftUpdateId = '';

beforeAll(async () => {
  database = await createTestDatabase();
  slack = await startSlackHarness(database, { users: { [TARO]: { locale: 'en-US', name: 'Taro' }, [HANAKO]: { locale: 'ja-JP', name: 'Hanako' } } });
  teams = await openTeamsHarness(database);
  // One incident with a channel and a draft public update, so fuzzed commands and forms have something to act on.
  await slack.send(slashCommandRequest({ text: 'declare Fuzz target --sev 2 --components api', userId: TARO, channelId: GENERAL, responseUrl: slack.fake.responseUrl('setup') }));
  const channel = [...slack.fake.channels.values()][0]!;
  await slack.send(slashCommandRequest({ text: 'publish Investigating.', userId: TARO, channelId: channel, responseUrl: slack.fake.responseUrl('setup') }));
  const [draft] = await database.db.select().from(t.publicUpdate).where(eq(t.publicUpdate.state, 'draft'));
  draftUpdateId = draft!.id;
});

afterAll(async () => {
  await slack?.close();
  await teams?.close();
  await database?.drop();
});

/** Errors the server logged (pino level ≥ 50) since `from`. */
function errorLogs(from: number): string[] {
  return slack.logs.slice(from).filter((line) => (JSON.parse(line) as { level: number }).level >= 50);
}

async function expectReady(base: string): Promise<void> {
  const res = await fetch(new URL('/readyz', base));
  expect(res.status).toBe(200);
}

async function expectConsistent(): Promise<void> {
  expect(await inconsistencies(database.db)).toEqual([]);
}

describeDb('fuzz: Slack', () => {
  it('answers every /incident text with a 200 ack and a reply, never an apology', async () => {
    const before = await countAllTables(database.db, { recordOnly: true });
    await fc.assert(
      fc.asyncProperty(commandText, fc.nat(), fc.constantFrom(TARO, HANAKO), async (text, pick, userId) => {
        // Mostly incident channels, where commands need no INC-n.
        const incidentChannels = [...slack.fake.channels.values()];
        const channelId = pick % 3 === 0 ? GENERAL : incidentChannels[pick % incidentChannels.length]!;
        const [calls, rejected, logs] = [slack.fake.calls.length, slack.fake.rejected.length, slack.logs.length];
        const res = await slack.send(slashCommandRequest({ text, userId, channelId, responseUrl: slack.fake.responseUrl('fuzz') }));
        expect(res.status).toBe(200);
        const made = slack.fake.calls.slice(calls);
        expect(made.some((c) => ANSWERS.has(c.method))).toBe(true);
        expect(JSON.stringify(made)).not.toMatch(APOLOGY);
        expect(slack.fake.rejected.slice(rejected)).toEqual([]);
        expect(errorLogs(logs)).toEqual([]);
      }),
      { numRuns: RUNS.slash },
    );
    // The grammar reaches the use cases, not only the parser's errors.
    const after = await countAllTables(database.db, { recordOnly: true });
    expect(after.audit_event! - before.audit_event!).toBeGreaterThanOrEqual(RUNS.slash / 20);
    await expectReady(slack.url);
    await expectConsistent();
  });

  it('answers every declare form: field errors in the modal, or a declaration and a reply', async () => {
    const metadata = fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom('en', 'ja', 'xx').map((lang) => JSON.stringify({ channelId: GENERAL, lang })) },
      { weight: 1, arbitrary: fc.oneof(fc.constant(''), fc.constant('{}'), fc.string({ maxLength: 12 }), anyJson.map((v) => JSON.stringify(v))) },
    );
    const input = (value: fc.Arbitrary<unknown>) => fc.option(value.map((v) => ({ value: { type: 'plain_text_input', value: v } })), { nil: undefined });
    const select = (valid: readonly string[], type: string) => fc.option(selectedOption(valid).map((o) => ({ value: { type, selected_option: o } })), { nil: undefined });
    const values = fc.record({
      title: input(fieldValue),
      severity: select(['SEV1', 'SEV2', 'SEV3', 'SEV4'], 'static_select'),
      components: input(fieldValue),
      summary: input(fieldValue),
      visibility: select(['public', 'private'], 'radio_buttons'),
    });
    await fc.assert(
      fc.asyncProperty(metadata, values, async (privateMetadata, fields) => {
        const blocks = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as Record<string, Record<string, unknown>>;
        const [calls, rejected, logs] = [slack.fake.calls.length, slack.fake.rejected.length, slack.logs.length];
        const incidents = (await countAllTables(database.db, { recordOnly: true })).incident!;
        const res = await slack.send(viewSubmissionRequest({ callbackId: 'declare_incident', privateMetadata, userId: TARO, values: blocks }));
        expect(res.status).toBe(200);
        if (res.body) {
          const body = JSON.parse(res.body) as { response_action: string; errors: Record<string, string> };
          expect(body.response_action).toBe('errors');
          expect(Object.keys(body.errors).every((k) => ['title', 'components', 'summary'].includes(k))).toBe(true);
          expect((await countAllTables(database.db, { recordOnly: true })).incident).toBe(incidents);
        } else {
          const made = slack.fake.calls.slice(calls);
          expect(made.some((c) => ANSWERS.has(c.method))).toBe(true);
          expect(JSON.stringify(made)).not.toMatch(APOLOGY);
        }
        expect(slack.fake.rejected.slice(rejected)).toEqual([]);
        expect(errorLogs(logs)).toEqual([]);
      }),
      { numRuns: RUNS.declareForm },
    );
    await expectReady(slack.url);
    await expectConsistent();
  });

  it('saves every changed language of an Edit translation form and answers, or changes nothing', async () => {
    const metadata = fc.oneof(
      { weight: 4, arbitrary: fc.constant(null) },
      { weight: 1, arbitrary: fc.record({ updateId: fc.oneof(fc.uuid(), fc.string({ maxLength: 40 }), anyJson), channelId: fc.oneof(fc.constant(GENERAL), anyJson) }, { requiredKeys: [] }) },
      { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
    );
    const field = fc.option(fieldValue.map((value) => ({ value: { type: 'plain_text_input', value } })), { nil: undefined });
    await fc.assert(
      fc.asyncProperty(metadata, field, field, async (meta, en, ja) => {
        const channelId = [...slack.fake.channels.values()][0]!;
        const privateMetadata = meta === null ? JSON.stringify({ updateId: draftUpdateId, channelId, lang: 'en' }) : typeof meta === 'string' ? meta : JSON.stringify(meta);
        const values = { ...(en ? { 'lang:en': en } : {}), ...(ja ? { 'lang:ja': ja } : {}) };
        const [calls, rejected, logs] = [slack.fake.calls.length, slack.fake.rejected.length, slack.logs.length];
        const before = await countAllTables(database.db, { recordOnly: true });
        const translations = await database.db.select().from(t.publicUpdateTranslation).where(eq(t.publicUpdateTranslation.updateId, draftUpdateId));
        const res = await slack.send(viewSubmissionRequest({ callbackId: 'edit_translation', privateMetadata, userId: TARO, values }));
        expect(res.status).toBe(200);
        expect(res.body).toBe('');
        const made = slack.fake.calls.slice(calls);
        const current = (lang: string) => translations.find((tr) => tr.lang === lang)?.body ?? (lang === 'en' ? 'Investigating.' : undefined);
        const typed = Object.entries({ en, ja }).filter(([lang, v]) => typeof v?.value.value === 'string' && v.value.value.trim() && v.value.value.trim() !== current(lang)?.trim());
        if (meta === null && typed.length > 0) expect(made.some((c) => ANSWERS.has(c.method))).toBe(true);
        else expect(await countAllTables(database.db, { recordOnly: true })).toEqual(before);
        expect(JSON.stringify(made)).not.toMatch(APOLOGY);
        expect(slack.fake.rejected.slice(rejected)).toEqual([]);
        expect(errorLogs(logs)).toEqual([]);
      }),
      { numRuns: RUNS.editForm },
    );
    await expectReady(slack.url);
    await expectConsistent();
  });
});

/** The recorded personal-chat message, saying `text`, with a fresh activity id. */
const personal = (text: string, locale: string) => personalMessage(teams.connector.url, text, { locale });

/** The recorded channel @mention saying `text`, in a new thread of the channel. */
const mention = (text: string, locale: string) => mentionMessage(teams.connector.url, text, { locale });

describeDb('fuzz: Teams', () => {
  const locale = fc.constantFrom('en-US', 'ja-JP', 'xx', '', 'ja');

  it('answers every message text with 200 and a reply in the conversation', async () => {
    await fc.assert(
      fc.asyncProperty(commandText, locale, fc.boolean(), async (text, loc, inChannel) => {
        const from = teams.connector.calls.length;
        const res = await teams.post(inChannel ? mention(text, loc) : personal(text, loc));
        expect(res.status).toBe(200);
        const made = teams.connector.since(from);
        expect(made.length).toBeGreaterThan(0);
        expect(JSON.stringify(made.map((c) => c.body))).not.toMatch(APOLOGY);
      }),
      { numRuns: RUNS.teamsMessage },
    );
    expect(teams.connector.problems).toEqual([]);
    await expectReady(teams.url);
    await expectConsistent();
  });

  /** An Action.Execute press in the personal chat, as Teams sends it (`adaptiveCard/action` invoke). */
  const execute = (verb: unknown, data: Record<string, unknown>, loc: string) => invokeActivity(personal('', loc), verb, data, { locale: loc });

  it('answers every Action.Execute invoke with a valid card or a 400 error response', async () => {
    const verb = fc.oneof(fc.constantFrom(...Object.values(CARD_VERBS)), fc.string({ maxLength: 12 }), anyJson);
    const data = fc.record(
      {
        updateId: fc.oneof(fc.constant(draftUpdateId), fc.uuid(), fc.string({ maxLength: 40 }), anyJson),
        lang_en: fc.oneof(fieldValue, anyJson),
        lang_ja: fc.oneof(fieldValue, anyJson),
        title: fc.oneof(fieldValue, anyJson),
        severity: fc.oneof(fc.constantFrom('SEV1', 'SEV4', 'SEV9'), anyJson),
        components: fc.oneof(fieldValue, anyJson),
        summary: fc.oneof(fieldValue, anyJson),
        private: fc.constantFrom('true', 'false', true, 1),
      },
      { requiredKeys: [] },
    );
    // Resolve (an alert's proposal) names an incident, not an update.
    const previewVerbs = new Set<unknown>(Object.values(CARD_VERBS).filter((v) => v !== CARD_VERBS.declare && v !== CARD_VERBS.resolve));
    await fc.assert(
      fc.asyncProperty(verb, data, locale, async (v, d, loc) => {
        const res = await teams.post(execute(v, d, loc));
        expect(res.status).toBe(200);
        const body = res.body as { statusCode: number; type: string; value: unknown };
        expect([200, 400]).toContain(body.statusCode);
        if (body.statusCode === 200) expect(adaptiveCardProblems(body.value)).toEqual([]);
        expect(JSON.stringify(body)).not.toMatch(APOLOGY);
        // A press naming no update (missing, not a uuid, or a uuid of nothing) is told so.
        if (previewVerbs.has(v) && d.updateId !== draftUpdateId) expect(UPDATE_NOT_FOUND.some((text) => JSON.stringify(body.value).includes(text))).toBe(true);
        // A resolve press naming no incident (here: never one) is told so.
        if (v === CARD_VERBS.resolve) expect(INCIDENT_NOT_FOUND.some((text) => JSON.stringify(body.value).includes(text))).toBe(true);
      }),
      { numRuns: RUNS.teamsInvoke },
    );
    expect(teams.connector.problems).toEqual([]);
    await expectReady(teams.url);
    await expectConsistent();
  });

  it('declares from the form with each field as chosen, never reading option-like text as options', async () => {
    const severities = ['SEV1', 'SEV2', 'SEV3', 'SEV4'];
    const form = fc.record(
      {
        title: fc.oneof({ weight: 3, arbitrary: optionLikeText }, fieldValue),
        severity: fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...severities) }, fc.constantFrom('SEV9', '1', ''), anyJson),
        components: fc.oneof({ weight: 4, arbitrary: fc.constantFrom('', 'api', 'api, console', 'API，DB', 'db api') }, fieldValue),
        summary: fc.oneof(optionLikeText, fieldValue),
        private: fc.constantFrom('true', 'false', true, false, 1),
      },
      { requiredKeys: ['title'] },
    );
    let declared = 0;
    await fc.assert(
      fc.asyncProperty(form, locale, async (d, loc) => {
        const [newest] = await database.db.select({ number: t.incident.number }).from(t.incident).orderBy(desc(t.incident.number)).limit(1);
        const res = await teams.post(execute(CARD_VERBS.declare, d, loc));
        expect(res.status).toBe(200);
        const body = res.body as { statusCode: number; value: unknown };
        expect(body.statusCode).toBe(200);
        expect(adaptiveCardProblems(body.value)).toEqual([]);
        expect(JSON.stringify(body)).not.toMatch(APOLOGY);
        const made = await database.db.select().from(t.incident).where(gt(t.incident.number, newest?.number ?? 0));
        expect(made.length).toBeLessThanOrEqual(1);
        if (!made[0]) return;
        declared++;
        expect(made[0].title).toBe(storable(String(d.title)).trim());
        expect(made[0].severity).toBe(severities.includes(d.severity as string) ? d.severity : 'SEV3');
        expect(made[0].visibility).toBe(d.private === 'true' || d.private === true ? 'private' : 'public');
      }),
      { numRuns: RUNS.teamsDeclareForm },
    );
    // The property is about declarations: most forms must make one.
    expect(declared).toBeGreaterThanOrEqual(RUNS.teamsDeclareForm / 4);
    expect(teams.connector.problems).toEqual([]);
    await expectReady(teams.url);
    await expectConsistent();
  });

  it('answers activities with odd or missing fields 400 when they are no Bot Framework activity, and never 5xx', async () => {
    const envelope = ['type', 'serviceUrl', 'from', 'conversation', 'id', 'locale', 'recipient', 'channelData', 'entities', 'text', 'channelId', 'name'];
    const mutations = fc.array(
      fc.oneof(
        fc.constantFrom(...envelope).map((key) => ({ key, value: undefined as unknown })),
        fc.tuple(fc.constantFrom(...envelope, 'value', 'attachments'), anyJson).map(([key, value]) => ({ key, value })),
        fc.constantFrom('conversationUpdate', 'messageReaction', 'installationUpdate', 'typing', 'event', 'invoke', 'message').map((value) => ({ key: 'type', value: value as unknown })),
        fc.constantFrom('', 'ftp://127.0.0.1/', 'smba.trafficmanager.net/amer/', 'http://').map((value) => ({ key: 'serviceUrl', value: value as unknown })),
        fc.constant({ key: 'name', value: 'adaptiveCard/action' as unknown }),
      ),
      { minLength: 1, maxLength: 3 },
    );
    await fc.assert(
      fc.asyncProperty(commandText, mutations, async (text, changes) => {
        const activity: Record<string, unknown> = personal(text, 'en-US');
        for (const { key, value } of changes) {
          if (value === undefined) delete activity[key];
          else activity[key] = value;
        }
        // What earlier turns queued goes out first, so what follows is this request's alone.
        await teams.settle();
        const [before, calls] = [await countAllTables(database.db, { recordOnly: true }), teams.connector.calls.length];
        const res = await teams.post(activity);
        if (!isActivity(activity)) {
          // Refused before the adapter: botbuilder neither throws on it nor waits on a public default service URL.
          expect(res.status).toBe(400);
          expect(await countAllTables(database.db, { recordOnly: true })).toEqual(before);
          expect(teams.connector.calls.length).toBe(calls);
        } else if (activity.type === 'invoke' && activity.name !== 'adaptiveCard/action') {
          // 501 is the Bot Framework's own answer to an invoke no handler knows (botbuilder's ActivityHandler).
          expect([200, 501]).toContain(res.status);
        } else {
          expect(res.status).toBe(200);
        }
      }),
      { numRuns: RUNS.teamsOdd },
    );
    await expectReady(teams.url);
    await expectConsistent();
  });
});

/**
 * What every activity the Bot Framework sends has (ConnectorAPI.swagger.json's Activity, and
 * every recorded one): a type, an http(s) service URL, the three parties with string ids, and
 * the fields the bot reads of the types they are documented with.
 */
function isActivity(a: Record<string, unknown>): boolean {
  const party = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v) && typeof (v as { id?: unknown }).id === 'string';
  const maybe = (v: unknown, ok: (x: unknown) => boolean) => v === undefined || v === null || ok(v);
  const isString = (v: unknown) => typeof v === 'string';
  const objects = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === 'object' && x !== null && !Array.isArray(x));
  let serviceUrl: URL | undefined;
  try {
    serviceUrl = new URL(String(a.serviceUrl));
  } catch {
    serviceUrl = undefined;
  }
  return (
    typeof a.type === 'string' &&
    a.type !== '' &&
    typeof a.serviceUrl === 'string' &&
    (serviceUrl?.protocol === 'http:' || serviceUrl?.protocol === 'https:') &&
    serviceUrl.hostname !== '' &&
    party(a.from) &&
    party(a.conversation) &&
    party(a.recipient) &&
    ['id', 'channelId', 'name', 'text', 'locale'].every((key) => maybe(a[key], isString)) &&
    maybe(a.entities, objects) &&
    maybe(a.attachments, objects) &&
    maybe(a.channelData, (v) => typeof v === 'object' && !Array.isArray(v))
  );
}

describeDb('fuzz: console', () => {
  it('prints an answer to every line, never an apology', async () => {
    const { ctx } = makeContext(database.db);
    const actor: Actor = { platform: 'console', id: 'fuzzer', name: 'Fuzzer', lang: 'en' };
    const terminal = openConsole(database, ctx, actor);
    await fc.assert(
      fc.asyncProperty(commandText, async (line) => {
        if (/^\s*\/(quit|exit)\s*$/.test(line)) return;
        const printed = await terminal.say(line);
        if (line.trim()) expect(printed.length).toBeGreaterThan(0);
        expect(printed).not.toMatch(APOLOGY);
        expect(terminal.logs().filter((l) => Number(l.level) >= 50)).toEqual([]);
      }),
      { numRuns: RUNS.console },
    );
    await expectConsistent();
  });
});
