import { afterAll, beforeAll, expect, it } from 'vitest';
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
});
