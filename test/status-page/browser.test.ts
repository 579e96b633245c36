import { mkdirSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syncComponents } from '../../src/app/components.ts';
import { T0 } from '../app/helpers.ts';
import { hasBrowser, launchChromium } from '../helpers/browser.ts';
import { createTestDatabase, dbKind, describeDb, type TestDatabase } from '../helpers/database.ts';
import { seedOpenIncident, startStatusPage } from './helpers.ts';

const ARTIFACTS = 'test-artifacts/status-page';
let database: TestDatabase;
let server: Awaited<ReturnType<typeof startStatusPage>>;
let browser: Browser;
const runs = hasBrowser('the status-page browser tests (test/status-page/browser.test.ts)');
const describeBrowser = runs ? describeDb : (name: string, body: () => void) => describe.skip(name, body);

beforeAll(async () => {
  if (!runs) return;
  mkdirSync(ARTIFACTS, { recursive: true });
  database = await createTestDatabase();
  await syncComponents(
    database.db,
    {
      components: [
        { id: 'api', name: 'REST API', names: {} },
        { id: 'console', name: 'Console', names: { ja: 'コンソール (管理画面)' } },
        { id: 'sms', name: 'Programmable SMS', names: {} },
      ],
      glossary: [],
    },
    T0,
  );
  const seeded = await seedOpenIncident(database.db, { components: ['api', 'console'], impact: 'partial_outage' });
  server = await startStatusPage(database.db, seeded.clock);
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await database?.drop();
});

async function open(path: string, options: { locale?: string; viewport?: { width: number; height: number } } = {}) {
  // No JavaScript: the page must work without it.
  const context = await browser.newContext({ javaScriptEnabled: false, locale: options.locale ?? 'en-US', viewport: options.viewport ?? { width: 1280, height: 900 } });
  const page = await context.newPage();
  const res = await page.goto(server.base + path);
  expect(res?.status()).toBe(200);
  return { page, close: () => context.close() };
}

describeBrowser('status page in Chromium', () => {
  it('shows the open incident in English with its updates and component impacts', async () => {
    const { page, close } = await open('/status', { locale: 'en-US' });
    await page.screenshot({ path: `${ARTIFACTS}/status-en-${dbKind}.png`, fullPage: true });
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    expect(await page.locator('h1').innerText()).toContain('Partial System Outage');
    const updates = await page.locator('.update').allInnerTexts();
    expect(updates[0]).toContain('Identified · Feb 26, 15:25 UTC');
    expect(updates[0]).toContain('The cause has been identified: a failed database failover.');
    expect(updates[1]).toContain('Investigating · Feb 26, 15:05 UTC');
    const components = await page.locator('.components li').allInnerTexts();
    expect(components).toEqual([expect.stringMatching(/REST API\s+◆ Partial outage/), expect.stringMatching(/Console\s+◆ Partial outage/), expect.stringMatching(/Programmable SMS\s+✓ Operational/)]);
    await close();
  });

  it('negotiates Japanese from the browser locale, with Japan time and Japanese component names', async () => {
    const { page, close } = await open('/status', { locale: 'ja-JP' });
    await page.screenshot({ path: `${ARTIFACTS}/status-ja-${dbKind}.png`, fullPage: true });
    expect(await page.locator('html').getAttribute('lang')).toBe('ja');
    const text = await page.locator('main').innerText();
    expect(text).toContain('一部のシステムで障害が発生しています');
    expect(text).toContain('原因特定 · 2/27 0:25 (JST)');
    expect(text).toContain('コンソール (管理画面)');
    // Japanese text is drawn with a CJK font, not a fallback of boxes.
    const fontFamily = await page.locator('body').evaluate((el) => (globalThis as any).getComputedStyle(el).fontFamily as string);
    expect(fontFamily.startsWith('"Noto Sans CJK JP"')).toBe(true);
    await close();
  });

  it('draws 90-day history bars whose last day shows the outage', async () => {
    const { page, close } = await open('/status/history?lang=en');
    await page.screenshot({ path: `${ARTIFACTS}/history-en-${dbKind}.png`, fullPage: true });
    const rows = page.locator('section.history');
    expect(await rows.count()).toBe(3);
    const api = rows.first();
    expect(await api.locator('.bar').count()).toBe(90);
    const last = api.locator('.bar').last();
    expect(await last.getAttribute('title')).toBe('Feb 26, 2026: Partial outage');
    // Not colour alone: an outage day is a visibly shorter bar.
    const heights = await api.locator('.bar').evaluateAll((bars) => bars.map((b) => b.getBoundingClientRect().height));
    expect(heights[89]).toBeLessThan(heights[0]! * 0.6);
    expect(await api.locator('.impact-days').innerText()).toContain('Partial outage');
    await close();
  });

  it('fits a phone screen without horizontal scrolling', async () => {
    const { page, close } = await open('/status?lang=ja', { viewport: { width: 360, height: 740 } });
    await page.screenshot({ path: `${ARTIFACTS}/status-ja-phone-${dbKind}.png`, fullPage: true });
    const { scrollWidth, clientWidth } = await page.evaluate(() => {
      const root = (globalThis as any).document.documentElement;
      return { scrollWidth: root.scrollWidth as number, clientWidth: root.clientWidth as number };
    });
    expect(scrollWidth).toBeLessThanOrEqual(clientWidth);
    expect(await page.locator('main').innerText()).toContain('API のエラー率上昇について調査しています。');
    await close();
  });
});
