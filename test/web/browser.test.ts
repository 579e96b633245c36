import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addNote } from '../../src/app/add-note.ts';
import { draftPublicUpdate } from '../../src/app/draft-public-update.ts';
import { loadPublicUpdates } from '../../src/db/incident-repository.ts';
import { metaOf } from '../app/helpers.ts';
import { hasBrowser, launchChromium } from '../helpers/browser.ts';
import { createTestDatabase, dbKind, describeDb, type TestDatabase } from '../helpers/database.ts';
import { ADMIN_TOKEN, signInLink, startWebApp } from './helpers.ts';
import { type Seeded, seedWebData } from './seed.ts';

const ARTIFACTS = 'test-artifacts/web';
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };

let database: TestDatabase;
let app: Awaited<ReturnType<typeof startWebApp>>;
let browser: Browser;
let seeded: Seeded;
const runs = hasBrowser('the web app browser tests (test/web/browser.test.ts)');
const describeBrowser = runs ? describeDb : (name: string, body: () => void) => describe.skip(name, body);

beforeAll(async () => {
  if (!runs) return;
  mkdirSync(ARTIFACTS, { recursive: true });
  database = await createTestDatabase();
  app = await startWebApp(database);
  seeded = await seedWebData(app.ctx, app.clock);
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await app?.close();
  await database?.drop();
});

/** A browser context; JavaScript off unless asked, to show every flow works without it. CSP bypassed only so axe can be injected. */
async function newContext(options: { js?: boolean; viewport?: { width: number; height: number }; locale?: string } = {}): Promise<BrowserContext> {
  return browser.newContext({ javaScriptEnabled: options.js ?? false, viewport: options.viewport ?? DESKTOP, locale: options.locale ?? 'en-US', bypassCSP: true, baseURL: app.base });
}

/** Signs a chat user in through a `web` link, pressing the button as a person would. */
async function signIn(context: BrowserContext, actor = seeded.aiko): Promise<Page> {
  const page = await context.newPage();
  await page.goto(await signInLink(app.ctx, app.base, actor));
  await page.getByRole('button', { name: /sign in|サインイン/i }).first().click();
  await page.waitForURL(/\/app\/($|\?)/);
  return page;
}

async function signInAdmin(context: BrowserContext): Promise<Page> {
  const page = await context.newPage();
  await page.goto('/app/sign-in');
  await page.fill('#admin_token', ADMIN_TOKEN);
  await page.locator('form[action$="/sign-in/admin"] button').click();
  await page.waitForURL(/\/app\/($|\?)/);
  return page;
}

/** axe-core's violations on the page (needs a JavaScript-enabled context). */
async function axeViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ content: AXE });
  const result = (await page.evaluate(() => (globalThis as any).axe.run((globalThis as any).document, { resultTypes: ['violations'] }))) as {
    violations: { id: string; nodes: { target: string[] }[] }[];
  };
  return result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

describeBrowser('web app in Chromium', () => {
  it('signs in through the web link and lists incidents, without JavaScript', async () => {
    const context = await newContext();
    const page = await signIn(context);
    const open = await page.locator('table.incidents.open').innerText();
    expect(open).toContain('Elevated API error rates');
    expect(open).toContain('Credential leak suspected');
    expect(await page.locator('table.incidents.past').innerText()).toContain('API errors after a database failover');
    expect(await page.locator('.who').innerText()).toContain('Aiko');
    await context.close();
  });

  it('reviews, edits the Japanese side, approves and publishes a translation', async () => {
    const context = await newContext();
    const page = await signIn(context);
    await page.goto(`/app/incidents/${seeded.open.number}`);
    const card = page.locator(`#u-${seeded.open.draftId}`);
    // Each language side by side: the English original, Japanese still missing.
    expect(await card.locator('[data-lang="en"] h4').innerText()).toMatch(/Original/);
    expect(await card.locator('[data-lang="ja"] h4').innerText()).toMatch(/Not translated yet/);
    // Glossary terms (component names) are marked in the text.
    expect(await card.locator('[data-lang="en"] mark.term').allInnerTexts()).toEqual(expect.arrayContaining(['REST API', 'Console']));
    await card.locator('[data-lang="ja"] textarea').fill('REST API の一部のリクエストが失敗し、コンソール (管理画面) の表示が遅くなっています。調査中です。');
    await card.locator('[data-lang="ja"] button').click();
    await page.waitForURL(/done=saved/);
    const saved = page.locator(`#u-${seeded.open.draftId}`);
    expect(await saved.locator('[data-lang="ja"] h4').innerText()).toMatch(/Written by a person/);
    expect(await saved.locator('[data-lang="ja"] mark.term').allInnerTexts()).toEqual(expect.arrayContaining(['REST API', 'コンソール (管理画面)']));
    await saved.getByRole('button', { name: 'Approve and publish' }).click();
    await page.waitForURL(/done=published/);
    expect(await page.locator('.notice').innerText()).toContain('Published to every target.');
    const published = page.locator(`#u-${seeded.open.draftId}`);
    expect(await published.locator('h3').innerText()).toMatch(/^Published/);
    expect(await published.locator('[data-lang="ja"] h4').innerText()).toMatch(/Approved/);
    const [update] = (await loadPublicUpdates(database.db, seeded.open.incidentId)).filter((u) => u.id === seeded.open.draftId);
    expect(update!.state).toBe('published');
    expect(update!.translations.find((t) => t.lang === 'ja')).toMatchObject({ origin: 'approved', body: expect.stringContaining('調査中です') });
    await context.close();
  });

  it('draws the metrics charts from the incidents, with their tables', async () => {
    const context = await newContext({ js: true });
    const page = await signIn(context);
    await page.goto('/app/metrics');
    const months = await page.locator('#chart-by-month g.group').evaluateAll((groups) => groups.map((g) => g.getAttribute('data-group')));
    expect(months).toEqual(['2026-01', '2026-02', '2026-03']);
    // January's median time to first public notice: 25 and 18 minutes → 21.5.
    expect(await page.locator('#chart-by-month g[data-group="2026-01"] rect[data-interval="first_public"] title').textContent()).toContain('21.5');
    expect(await page.locator('#chart-by-severity g.group').count()).toBe(3);
    expect(await page.locator('table.medians.by-month').innerText()).toMatch(/2026-01\s+2\s+3 min\s+9 min\s+21 min/);
    const box = await page.locator('#chart-by-month').boundingBox();
    expect(box!.width).toBeGreaterThan(200);
    expect(await axeViolations(page)).toEqual([]);
    await context.close();
  });

  it('imports subscribers from a CSV file and removes one (administrator)', async () => {
    const context = await newContext({ js: true });
    const page = await signInAdmin(context);
    await page.goto('/app/subscribers');
    await page.setInputFiles('#csv-file', {
      name: 'subscribers.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from('type,address,lang,time_zone,components,secret\nemail,tanaka@example.jp,ja,Asia/Tokyo,api,\nemail,ops@example.com,en,UTC,,\nemail,not-an-address,en,UTC,,\n'),
    });
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    const result = await page.locator('#import-result').innerText();
    expect(result).toContain('Added 2, updated 0.');
    expect(result).toContain('Line 4');
    const table = await page.locator('table.subscribers').innerText();
    expect(table).toContain('tanaka@example.jp');
    expect(table).toContain('ops@example.com');
    expect(await axeViolations(page)).toEqual([]);
    await page.getByRole('button', { name: 'Remove ops@example.com' }).click();
    await page.waitForURL(/done=removed/);
    expect(await page.locator('table.subscribers').innerText()).not.toContain('ops@example.com');
    await context.close();
  });

  it('refuses a sign-in link used a second time', async () => {
    const link = await signInLink(app.ctx, app.base, seeded.ben);
    const first = await newContext();
    const page = await first.newPage();
    await page.goto(link);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL(/\/app\/$/);
    const second = await newContext({ js: true });
    const again = await second.newPage();
    await again.goto(link);
    const [response] = await Promise.all([again.waitForResponse((r) => r.url().endsWith('/app/sign-in') && r.request().method() === 'POST'), again.getByRole('button', { name: 'Sign in', exact: true }).click()]);
    expect(response.status()).toBe(400);
    expect(await again.locator('main').innerText()).toContain('already been used or has expired');
    expect((await second.cookies()).some((c) => c.name === 'tsuiki_session')).toBe(false);
    expect(await axeViolations(again)).toEqual([]);
    await first.close();
    await second.close();
  });

  it("answers 404 for another user's private incident, showing nothing of it", async () => {
    const context = await newContext({ js: true });
    const page = await signIn(context, seeded.ben);
    const response = await page.goto(`/app/incidents/${seeded.private.number}`);
    expect(response!.status()).toBe(404);
    expect(await page.content()).not.toContain('Credential leak');
    expect(await axeViolations(page)).toEqual([]);
    await page.goto('/app/');
    expect(await page.locator('main').innerText()).not.toContain('Credential leak');
    await context.close();
  });

  it('refuses a form POST without its CSRF token (403) and changes nothing', async () => {
    const context = await newContext({ js: true });
    const page = await signIn(context);
    const { outcome } = await draftPublicUpdate(app.ctx, metaOf(seeded.aiko), seeded.open.incidentId, { text: 'Error rates are back to normal.' });
    await page.goto(`/app/incidents/${seeded.open.number}`);
    const form = page.locator(`#u-${outcome.updateId} form[action$="/publish"]`);
    await form.locator('input[name="_csrf"]').evaluate((input) => input.remove());
    const [response] = await Promise.all([page.waitForResponse((r) => r.url().includes('/publish')), form.locator('button').click()]);
    expect(response.status()).toBe(403);
    expect(await page.locator('main').innerText()).toContain('Nothing was changed');
    const [update] = (await loadPublicUpdates(database.db, seeded.open.incidentId)).filter((u) => u.id === outcome.updateId);
    expect(update!.state).toBe('draft');
    expect(await axeViolations(page)).toEqual([]);
    await context.close();
  });

  it('appends new timeline entries live when JavaScript is on', async () => {
    const context = await newContext({ js: true });
    const page = await signIn(context);
    await page.goto(`/app/incidents/${seeded.open.number}`);
    const before = await page.locator('ol.timeline li').count();
    await addNote(app.ctx, metaOf(seeded.aiko), seeded.open.incidentId, { text: 'Rolled back the deploy; error rate falling.' });
    await page.locator('ol.timeline li', { hasText: 'Rolled back the deploy' }).waitFor({ timeout: 10_000 });
    expect(await page.locator('ol.timeline li').count()).toBe(before + 1);
    await context.close();
  });

  it('draws the postmortem’s Mermaid chart', async () => {
    const context = await newContext({ js: true });
    const page = await signIn(context);
    await page.goto(`/app/incidents/${seeded.resolved[0]!.number}/postmortem`);
    await page.locator('pre.mermaid svg').first().waitFor({ timeout: 20_000 });
    expect(await page.locator('article.postmortem h1, article.postmortem h2').count()).toBeGreaterThan(2);
    // Printed, only the draft is left: no navigation, no buttons.
    await page.emulateMedia({ media: 'print' });
    expect(await page.locator('header.site').isVisible()).toBe(false);
    expect(await page.getByRole('button', { name: 'Regenerate from the timeline' }).isVisible()).toBe(false);
    expect(await page.locator('article.postmortem').isVisible()).toBe(true);
    await page.pdf({ path: `${ARTIFACTS}/postmortem-en-print-${dbKind}.pdf` });
    await context.close();
  });

  const pages = [
    { name: 'sign-in', path: '/app/sign-in', who: 'none' },
    { name: 'incidents', path: '/app/', who: 'aiko' },
    { name: 'incident', path: () => `/app/incidents/${seeded.open.number}`, who: 'aiko' },
    { name: 'postmortem', path: () => `/app/incidents/${seeded.resolved[0]!.number}/postmortem`, who: 'aiko' },
    { name: 'metrics', path: '/app/metrics', who: 'aiko' },
    { name: 'subscribers', path: '/app/subscribers', who: 'admin' },
    { name: 'maintenance', path: '/app/maintenance', who: 'aiko' },
    { name: 'account', path: '/app/account', who: 'aiko' },
  ] as const;

  it.each(pages.flatMap((p) => (['en', 'ja'] as const).map((lang) => [p.name, lang, p] as const)))(
    'the %s page in %s has no axe violations, and is captured at desktop and phone width',
    async (name, lang, def) => {
      for (const [width, viewport] of [['desktop', DESKTOP], ['phone', PHONE]] as const) {
        const context = await newContext({ js: true, viewport, locale: lang === 'ja' ? 'ja-JP' : 'en-US' });
        const page = def.who === 'admin' ? await signInAdmin(context) : def.who === 'aiko' ? await signIn(context) : await context.newPage();
        const path = typeof def.path === 'function' ? def.path() : def.path;
        const response = await page.goto(`${path}${path.includes('?') ? '&' : '?'}lang=${lang}`);
        expect(response!.status()).toBe(200);
        expect(await page.locator('html').getAttribute('lang')).toBe(lang);
        if (name === 'postmortem') await page.locator('pre.mermaid svg').first().waitFor({ timeout: 20_000 });
        // Nothing wider than the screen: the page scrolls only vertically (tables scroll inside their own box).
        await page.screenshot({ path: `${ARTIFACTS}/${name}-${lang}-${width}-${dbKind}.png`, fullPage: true });
        const overflow = await page.evaluate(() => { const root = (globalThis as any).document.documentElement; return (root.scrollWidth as number) - (root.clientWidth as number); });
        expect(overflow, `${name} ${lang} ${width} is wider than the screen`).toBeLessThanOrEqual(0);
        expect(await axeViolations(page)).toEqual([]);
        await context.close();
      }
    },
  );
});
