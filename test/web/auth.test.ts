import { afterAll, beforeAll, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import * as t from '../../src/db/schema.ts';
import { MINUTE, person } from '../app/helpers.ts';
import { createTestDatabase, describeDb, type TestDatabase } from '../helpers/database.ts';
import { ADMIN_TOKEN, Browserless, signInLink, startWebApp } from './helpers.ts';

let database: TestDatabase;
let app: Awaited<ReturnType<typeof startWebApp>>;
let secureApp: Awaited<ReturnType<typeof startWebApp>>;

beforeAll(async () => {
  database = await createTestDatabase();
  app = await startWebApp(database);
  secureApp = await startWebApp(database, { env: { PUBLIC_URL: 'https://status.example.com' } });
});

afterAll(async () => {
  await app?.close();
  await secureApp?.close();
  await database?.drop();
});

describeDb('web app sign-in and sessions', () => {
  it('a web link signs the chat user in once, with a signed HttpOnly SameSite=Lax cookie scoped to /app', async () => {
    const aiko = person('Aiko');
    const browser = new Browserless(app.base);
    const res = await browser.signInWith(await signInLink(app.ctx, app.base, aiko));
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/app/');
    const cookie = browser.lastSetCookie.find((c) => c.startsWith('tsuiki_session='))!;
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Lax/);
    expect(cookie).toMatch(/; Path=\/app/);
    expect(cookie).not.toMatch(/; Secure/);
    // Signed: the value is <id>.<signature>.
    expect(decodeURIComponent(cookie.split(';')[0]!.split('=').slice(1).join('='))).toMatch(/^[\w-]+\.[\w+/=-]+$/);
    const home = await browser.request('/app/');
    expect(home.status).toBe(200);
    expect(await home.text()).toContain('Signed in as Aiko');
  });

  it('stores only a hash of the sign-in token', async () => {
    const link = await signInLink(app.ctx, app.base, person('Hashed'));
    const token = new URL(link).searchParams.get('token')!;
    const rows = await database.db.select().from(t.webSignIn);
    expect(rows.some((r) => r.tokenHash === token)).toBe(false);
    expect(rows.every((r) => /^[0-9a-f]{64}$/.test(r.tokenHash))).toBe(true);
  });

  it('refuses a sign-in link used a second time', async () => {
    const link = await signInLink(app.ctx, app.base, person('Ben'));
    expect((await new Browserless(app.base).signInWith(link)).status).toBe(303);
    const again = new Browserless(app.base);
    const res = await again.signInWith(link);
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('already been used or has expired');
    expect(again.cookies.has('tsuiki_session')).toBe(false);
  });

  it('refuses a sign-in link after its 10 minutes', async () => {
    const link = await signInLink(app.ctx, app.base, person('Late'));
    app.clock.advance(10 * MINUTE + 1000);
    const res = await new Browserless(app.base).signInWith(link);
    expect(res.status).toBe(400);
  });

  it('refuses a sign-in POST without the sign-in page token (login CSRF)', async () => {
    const link = await signInLink(app.ctx, app.base, person('Forged'));
    const token = new URL(link).searchParams.get('token')!;
    const res = await new Browserless(app.base).request('/app/sign-in', { form: { token, _pre: 'x' } });
    expect(res.status).toBe(403);
    // The link is not spent by the refused attempt.
    expect((await new Browserless(app.base).signInWith(link)).status).toBe(303);
  });

  it('sets Secure on the cookie when PUBLIC_URL is https', async () => {
    const browser = new Browserless(secureApp.base);
    const res = await browser.signInWith(await signInLink(secureApp.ctx, secureApp.base, person('Sec')));
    expect(res.status).toBe(303);
    expect(browser.lastSetCookie.find((c) => c.startsWith('tsuiki_session='))).toMatch(/; Secure/);
  });

  it('sends a visitor without a session to the sign-in page, and refuses a forged cookie', async () => {
    const res = await new Browserless(app.base).request('/app/');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/app/sign-in');
    const forged = new Browserless(app.base);
    forged.cookies.set('tsuiki_session', 'abc.def');
    expect((await forged.request('/app/')).status).toBe(303);
  });

  it('signs the administrator in with ADMIN_TOKEN and refuses a wrong token', async () => {
    const wrong = new Browserless(app.base);
    const page = await (await wrong.request('/app/sign-in')).text();
    const refused = await wrong.request('/app/sign-in/admin', { form: { admin_token: 'nope', _pre: Browserless.hidden(page, '_pre') } });
    expect(refused.status).toBe(403);
    expect(wrong.cookies.has('tsuiki_session')).toBe(false);
    const admin = new Browserless(app.base);
    const page2 = await (await admin.request('/app/sign-in')).text();
    const res = await admin.request('/app/sign-in/admin', { form: { admin_token: ADMIN_TOKEN, _pre: Browserless.hidden(page2, '_pre') } });
    expect(res.status).toBe(303);
    expect(await (await admin.request('/app/')).text()).toContain('Signed in as administrator');
  });

  it('refuses a POST without the CSRF token, and one with another session’s token', async () => {
    const browser = new Browserless(app.base);
    await browser.signInWith(await signInLink(app.ctx, app.base, person('Csrf')));
    const other = new Browserless(app.base);
    await other.signInWith(await signInLink(app.ctx, app.base, person('Other')));
    expect((await browser.request('/app/sign-out', { form: {} })).status).toBe(403);
    expect((await browser.request('/app/sign-out', { form: { _csrf: await other.csrf() } })).status).toBe(403);
    // Still signed in: nothing was changed.
    expect((await browser.request('/app/')).status).toBe(200);
  });

  it('signs out: the session row is revoked and its cookie no longer opens the app', async () => {
    const browser = new Browserless(app.base);
    await browser.signInWith(await signInLink(app.ctx, app.base, person('Out')));
    const cookie = browser.cookies.get('tsuiki_session')!;
    const res = await browser.request('/app/sign-out', { form: { _csrf: await browser.csrf() } });
    expect(res.status).toBe(303);
    const replay = new Browserless(app.base);
    replay.cookies.set('tsuiki_session', cookie);
    expect((await replay.request('/app/')).status).toBe(303);
  });

  it('signs out everywhere: every session of that user is revoked, others stay', async () => {
    const carol = person('Carol');
    const laptop = new Browserless(app.base);
    const phone = new Browserless(app.base);
    const someoneElse = new Browserless(app.base);
    await laptop.signInWith(await signInLink(app.ctx, app.base, carol));
    await phone.signInWith(await signInLink(app.ctx, app.base, carol));
    await someoneElse.signInWith(await signInLink(app.ctx, app.base, person('Dan')));
    expect((await laptop.request('/app/sign-out-everywhere', { form: { _csrf: await laptop.csrf() } })).status).toBe(303);
    expect((await phone.request('/app/')).status).toBe(303);
    expect((await someoneElse.request('/app/')).status).toBe(200);
    const rows = await database.db.select().from(t.webSession).where(eq(t.webSession.userId, carol.id));
    expect(rows).toHaveLength(2);
    expect(rows.every((r) => r.revokedAt !== null)).toBe(true);
  });

  it('ends a session after its lifetime', async () => {
    const browser = new Browserless(app.base);
    await browser.signInWith(await signInLink(app.ctx, app.base, person('Expiring')));
    expect((await browser.request('/app/')).status).toBe(200);
    app.clock.advance(12 * 60 * MINUTE + 1000);
    expect((await browser.request('/app/')).status).toBe(303);
  });

  it('goes back to the page asked for after signing in, but never outside the app', async () => {
    const browser = new Browserless(app.base);
    const asked = await browser.request('/app/metrics?lang=ja');
    expect(asked.status).toBe(303);
    const signInPath = asked.headers.get('location')!;
    expect(signInPath).toContain('next=%2Fapp%2Fmetrics%3Flang%3Dja');
    const page = await (await browser.request(signInPath)).text();
    const res = await browser.request('/app/sign-in/admin', { form: { admin_token: ADMIN_TOKEN, _pre: Browserless.hidden(page, '_pre'), next: Browserless.hidden(page, 'next') } });
    expect(res.headers.get('location')).toBe('/app/metrics?lang=ja');
    for (const next of ['//evil.example.com/app/', 'https://evil.example.com/', '/app/..//evil', '/status']) {
      const other = new Browserless(app.base);
      const form = await (await other.request('/app/sign-in')).text();
      const answer = await other.request('/app/sign-in/admin', { form: { admin_token: ADMIN_TOKEN, _pre: Browserless.hidden(form, '_pre'), next } });
      expect(answer.headers.get('location'), next).toBe('/app/');
    }
  });
});
