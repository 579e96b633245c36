import { afterAll, beforeAll, expect, it } from 'vitest';
import { count } from 'drizzle-orm';
import { Dispatcher } from '../../src/chat/dispatcher.ts';
import * as t from '../../src/db/schema.ts';
import { createLogger } from '../../src/logger.ts';
import { testI18n } from '../app/helpers.ts';
import { RecordingPlatform } from '../helpers/upstream/recording-platform.ts';
import { person } from '../app/helpers.ts';
import { openConsole } from '../chat/helpers.ts';
import { createTestDatabase, describeDb, type TestDatabase } from '../helpers/database.ts';
import { Browserless, startWebApp } from './helpers.ts';

let database: TestDatabase;
let app: Awaited<ReturnType<typeof startWebApp>>;

beforeAll(async () => {
  database = await createTestDatabase();
  app = await startWebApp(database);
});

afterAll(async () => {
  await app?.close();
  await database?.drop();
});

const linkIn = (printed: string) => /https?:\/\/\S+\/app\/sign-in\?token=[\w-]+/.exec(printed)?.[0];

describeDb('the web chat command', () => {
  it('answers with a single-use sign-in link that opens a session as that chat user', async () => {
    const aiko = person('Aiko');
    const chat = openConsole(database, app.ctx, aiko);
    const printed = await chat.say('web');
    const link = linkIn(printed);
    expect(link, printed).toBeDefined();
    expect(printed).toContain('single use');
    const url = new URL(link!);
    const browser = new Browserless(app.base);
    expect((await browser.signInWith(url.pathname + url.search)).status).toBe(303);
    expect(await (await browser.request('/app/account')).text()).toContain(aiko.id);
    // The same link a second time opens nothing.
    expect((await new Browserless(app.base).signInWith(url.pathname + url.search)).status).toBe(400);
  });

  it('is also understood in Japanese, and answers in Japanese', async () => {
    const chat = openConsole(database, app.ctx, person('Kenji', 'ja'));
    const printed = await chat.say('ウェブ');
    expect(linkIn(printed)).toBeDefined();
    expect(printed).toContain('1 回限り');
  });

  it('each request gives a different link', async () => {
    const chat = openConsole(database, app.ctx, person('Twice'));
    expect(linkIn(await chat.say('web'))).not.toBe(linkIn(await chat.say('web')));
  });

  it.each([
    ['a Teams channel', { serviceUrl: 'https://smba.example', botId: 'b', channelId: '19:abc@thread.tacv2', conversationId: '19:abc@thread.tacv2;messageid=1' }],
    ['a Teams group chat', { serviceUrl: 'https://smba.example', botId: 'b', conversationId: '19:group@thread.v2' }],
  ])('makes no link in %s, where everyone would see it', async (_where, conversation) => {
    const dispatcher = new Dispatcher({ app: app.ctx, i18n: testI18n(), platform: new RecordingPlatform(testI18n(), app.clock), logger: createLogger({ level: 'silent' }) });
    const [before] = await database.db.select({ n: count() }).from(t.webSignIn);
    const actor = { ...person('Teams user'), platform: 'teams' as const };
    const result = await dispatcher.handle({ text: 'web', actor, channelId: conversation.conversationId, origin: { platform: 'teams', conversation } });
    const text = result.replies.map((r) => [r.message.text, ...(r.message.lines ?? []), ...(r.message.links ?? []).map((l) => l.url)].join('\n')).join('\n');
    expect(text).not.toContain('/app/sign-in');
    expect(text).toContain('personal chat');
    const [after] = await database.db.select({ n: count() }).from(t.webSignIn);
    expect(after!.n).toBe(before!.n);
  });

  it('makes the link in a Teams personal chat', async () => {
    const dispatcher = new Dispatcher({ app: app.ctx, i18n: testI18n(), platform: new RecordingPlatform(testI18n(), app.clock), logger: createLogger({ level: 'silent' }) });
    const actor = { ...person('Teams user'), platform: 'teams' as const };
    const conversation = { serviceUrl: 'https://smba.example', botId: 'b', conversationId: 'a:1personal' };
    const result = await dispatcher.handle({ text: 'web', actor, channelId: conversation.conversationId, origin: { platform: 'teams', conversation } });
    expect(result.replies[0]!.visibility).toBe('ephemeral');
    expect(result.replies[0]!.message.links?.[0]?.url).toMatch(/\/app\/sign-in\?token=/);
  });
});
