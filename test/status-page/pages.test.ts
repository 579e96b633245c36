import { parseFeed } from '@rowanmanning/feed-parser';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { syncComponents } from '../../src/app/components.ts';
import { declare, MINUTE, person, T0 } from '../app/helpers.ts';
import { createTestDatabase, describeDb, type TestDatabase } from '../helpers/database.ts';
import { publish, seedOpenIncident, startStatusPage } from './helpers.ts';

let database: TestDatabase;
let server: Awaited<ReturnType<typeof startStatusPage>>;
let seeded: Awaited<ReturnType<typeof seedOpenIncident>>;

beforeAll(async () => {
  database = await createTestDatabase();
  await syncComponents(database.db, { components: [{ id: 'api', name: 'REST API', names: {} }, { id: 'console', name: 'Console', names: { ja: 'コンソール (管理画面)' } }], glossary: [] }, T0);
  seeded = await seedOpenIncident(database.db);
  server = await startStatusPage(database.db, seeded.clock);
});

afterAll(async () => {
  await server?.close();
  await database.drop();
});

async function page(path: string, headers: Record<string, string> = {}) {
  const res = await fetch(server.base + path, { headers });
  return { res, text: await res.text() };
}

describeDb('status page HTML', () => {
  it('negotiates the language from Accept-Language and says so in <html lang> and Vary', async () => {
    const { res, text } = await page('/status', { 'Accept-Language': 'fr;q=0.9, ja-JP, en;q=0.5' });
    expect(text).toContain('<html lang="ja">');
    expect(text).toContain('大規模な障害が発生しています');
    expect(res.headers.get('vary')).toBe('Accept-Encoding, Accept-Language');
    expect(res.headers.get('content-language')).toBe('ja');
  });

  it('?lang= overrides Accept-Language and every internal link keeps it', async () => {
    const { text } = await page('/status?lang=en', { 'Accept-Language': 'ja' });
    expect(text).toContain('<html lang="en">');
    const hrefs = [...text.matchAll(/href="(\/status[^"]*)"/g)].map((m) => m[1]!);
    expect(hrefs.length).toBeGreaterThan(4);
    for (const href of hrefs.filter((h) => !h.includes('lang=ja'))) expect(href).toContain('lang=en');
  });

  it('lists hreflang alternates for every language and x-default', async () => {
    const { text } = await page('/status/history?lang=ja');
    expect(text).toContain('<link rel="alternate" hreflang="en" href="http://status.example.test/status/history?lang=en">');
    expect(text).toContain('<link rel="alternate" hreflang="ja" href="http://status.example.test/status/history?lang=ja">');
    expect(text).toContain('hreflang="x-default"');
  });

  it('shows every public update newest first with its status and time in the reader\'s zone', async () => {
    const { text } = await page('/status?lang=ja');
    const second = text.indexOf('原因を特定しました');
    const first = text.indexOf('API のエラー率上昇について調査しています。');
    expect(second).toBeGreaterThan(0);
    expect(first).toBeGreaterThan(second);
    // 15:25 UTC is 0:25 the next day in Tokyo.
    expect(text).toContain('2/27 0:25 (JST)');
    expect(text).toContain('原因特定');
    expect(text).toContain('コンソール (管理画面)');
    const en = (await page('/status?lang=en')).text;
    expect(en).toContain('Feb 26, 15:25 UTC');
    expect(en).toContain('Identified');
  });

  it('states each component\'s impact in words, not by colour alone', async () => {
    const { text } = await page('/status?lang=en');
    expect(text).toMatch(/REST API<\/span> <span class="badge s-major_outage"><span aria-hidden="true">✕<\/span> Major outage<\/span>/);
  });

  it('has landmarks and a skip link', async () => {
    const { text } = await page('/status?lang=en');
    for (const landmark of ['<header class="site">', '<main id="main">', '<footer>', '<nav aria-label="Status page">', 'class="skip" href="#main"']) expect(text).toContain(landmark);
  });

  it('serves an incident page, and 404 for an unknown or private one', async () => {
    const ok = await page(`/status/incidents/${seeded.incidentId}?lang=en`);
    expect(ok.res.status).toBe(200);
    expect(ok.text).toContain('<h1>Elevated API error rates</h1>');
    const { incidentId: secret } = await declare(seeded.ctx, person('Ken'), { title: 'Secret', visibility: 'private' });
    for (const id of [secret, '00000000-0000-0000-0000-000000000000', 'not-a-uuid']) {
      expect((await page(`/status/incidents/${id}`)).res.status).toBe(404);
    }
  });

  it('draws 90 daily bars per component with the impact of the incident day', async () => {
    const { text } = await page('/status/history?lang=en');
    const bars = [...text.matchAll(/<li class="bar s-([a-z_]+)" title="([^"]+)"/g)];
    expect(bars).toHaveLength(2 * 90);
    // The seeded incident started at T0 (00:00 in Japan, 15:00 UTC Feb 26): today in UTC, the last bar.
    expect(bars[89]![1]).toBe('major_outage');
    expect(bars[89]![2]).toBe('Feb 26, 2026: Major outage');
    expect(bars.slice(0, 89).every((b) => b[1] === 'operational')).toBe(true);
    expect(text).toMatch(/REST API <span class="uptime">\d+\.\d\d% uptime<\/span>/);
  });

  it('answers 304 to a matching If-None-Match and carries Last-Modified and Cache-Control', async () => {
    const first = await page('/api/v2/summary.json');
    const etag = first.res.headers.get('etag')!;
    expect(etag).toMatch(/^".+"$/);
    expect(first.res.headers.get('cache-control')).toBe('public, max-age=1');
    expect(new Date(first.res.headers.get('last-modified')!).getTime()).toBe(T0.getTime() + 25 * MINUTE);
    const again = await fetch(`${server.base}/api/v2/summary.json`, { headers: { 'If-None-Match': etag } });
    expect(again.status).toBe(304);
  });
});

describeDb('feeds', () => {
  it('Atom and RSS parse, per language, with one entry per incident and its updates', async () => {
    for (const [path, type] of [['/status/feed.atom', 'atom'], ['/status/feed.rss', 'rss']] as const) {
      const { res, text } = await page(`${path}?lang=ja`);
      expect(res.headers.get('content-type')).toContain(type === 'atom' ? 'application/atom+xml' : 'application/rss+xml');
      const feed = parseFeed(text);
      expect(feed.meta.type).toBe(type);
      expect(feed.language).toBe('ja');
      const item = feed.items.find((i) => i.title === 'Elevated API error rates')!;
      expect(item).toBeDefined();
      expect(item.url).toBe(`http://status.example.test/status/incidents/${seeded.incidentId}?lang=ja`);
      expect(item.content).toContain('原因を特定しました');
    }
  });

  it('keeps an entry id when the incident gets a new update', async () => {
    const idOf = async () => parseFeed((await page('/status/feed.atom?lang=en')).text).items.find((i) => i.title === 'Elevated API error rates')!;
    const before = await idOf();
    seeded.clock.advance(MINUTE);
    await publish(seeded.ctx, seeded.actor, seeded.incidentId, { en: 'A fix is being deployed.' });
    server.page.cache.invalidate();
    const after = await idOf();
    expect(after.id).toBe(before.id);
    expect(after.content).toContain('A fix is being deployed.');
    expect(after.updated!.getTime()).toBeGreaterThan(before.updated!.getTime());
  });
});
