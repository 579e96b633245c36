import { readFileSync } from 'node:fs';
import { createServer, get as httpGet, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import RssParser from 'rss-parser';
import { Statuspage } from 'statuspage.io';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { changeStatus } from '../../src/app/change-status.ts';
import { publishUpdate } from '../../src/app/review-public-update.ts';
import { componentGroups, syncComponents, type ComponentsFile } from '../../src/app/components.ts';
import { createMetrics } from '../../src/metrics.ts';
import { statusPagePart } from '../../src/status-page/part.ts';
import { declare, metaOf, MINUTE, T0, testI18n } from '../app/helpers.ts';
import { CHROMIUM, hasBrowser } from '../helpers/browser.ts';
import { createTestDatabase, describeDb, type TestDatabase } from '../helpers/database.ts';
import { PUBLIC_URL, publish, seedOpenIncident, startStatusPage } from './helpers.ts';

// Consumers written for Atlassian Statuspage, pointed at tsuiki: the statuspage.io npm client,
// rss-parser, and Atlassian's status widget (@statuspage/status-widget) in Chromium on another origin.

const CATALOG: ComponentsFile = {
  components: [
    { id: 'api', name: 'REST API', names: {}, group: 'core' },
    { id: 'console', name: 'Console', names: { ja: 'コンソール' }, group: 'core' },
    { id: 'sms', name: 'Programmable SMS', names: {} },
  ],
  groups: [{ id: 'core', name: 'Core platform', names: { ja: 'コアプラットフォーム' } }],
  glossary: [],
};

let database: TestDatabase;
let statusPage: Awaited<ReturnType<typeof startStatusPage>>;
let base: string;
let seeded: Awaited<ReturnType<typeof seedOpenIncident>>;
let resolvedId: string;

beforeAll(async () => {
  database = await createTestDatabase();
  await syncComponents(database.db, CATALOG, T0);
  seeded = await seedOpenIncident(database.db, { title: "Users can't open the dashboard", components: ['api', 'console'], impact: 'partial_outage' });
  // A resolved incident whose resolution was published 9 s after the status change (the approval).
  const { ctx, clock, actor } = seeded;
  resolvedId = (await declare(ctx, actor, { title: 'Login & SSO errors <EU>', components: ['sms'], impact: 'major_outage', severity: 'SEV2' })).incidentId;
  await publish(ctx, actor, resolvedId, { en: 'Logins fail for some users.' });
  clock.advance(10 * MINUTE);
  const { outcome } = await changeStatus(ctx, metaOf(actor), resolvedId, { status: 'resolved', publicText: 'Logins work again.' });
  clock.advance(9_000);
  await publishUpdate(ctx, metaOf(actor), outcome.update!.updateId);
  // As production wires it: the fast path in front of the routes.
  statusPage = await startStatusPage(database.db, clock, { groups: componentGroups(CATALOG) }, { fastPath: true });
  base = statusPage.base;
});

afterAll(async () => {
  await statusPage?.close();
  await database?.drop();
});

/** A raw GET: the bytes and headers as sent (fetch would decompress). */
function raw(path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    httpGet(base + path, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    }).on('error', reject);
  });
}

/** The statuspage.io client aimed at our `page.url`: it appends `/api/v2/…` to it, as it does to a Statuspage host. */
async function client(lang?: string): Promise<Statuspage> {
  const { page: info } = (await (await fetch(`${base}/api/v2/status.json`)).json()) as { page: { url: string } };
  expect(info.url).toBe(`${PUBLIC_URL}/status`);
  const sp = new Statuspage('tsuiki');
  const axios = (sp as unknown as { apiClient: { defaults: { baseURL: string; headers: Record<string, unknown> } } }).apiClient;
  axios.defaults.baseURL = info.url.replace(PUBLIC_URL, base);
  if (lang) axios.defaults.headers['Accept-Language'] = lang;
  return sp;
}

describeDb('Statuspage consumers', () => {
  it('the statuspage.io client reads summary, components, status and incidents through page.url', async () => {
    const sp = await client();
    const summary = await sp.api.getSummary();
    expect(summary.status.indicator).toBe('major');
    expect(summary.incidents.map((i) => i.name)).toEqual(["Users can't open the dashboard"]);
    const { components } = await sp.api.getComponents();
    // The group comes first, with its members' ids; members point back at it.
    const group = components.find((c) => c.id === 'core') as (typeof components)[number] & { components: string[] };
    expect(group).toMatchObject({ group: true, group_id: null, name: 'Core platform', status: 'partial_outage', components: ['api', 'console'] });
    expect(components.map((c) => c.id)).toEqual(['core', 'api', 'console', 'sms']);
    expect(components.find((c) => c.id === 'api')).toMatchObject({ group: false, group_id: 'core', status: 'partial_outage' });
    expect(components.find((c) => c.id === 'sms')).toMatchObject({ group_id: null, status: 'operational' });
    const { status } = await sp.api.getStatus();
    expect(status.indicator).toBe('major');
    const unresolved = await sp.api.incidents.getUnresolved();
    expect(unresolved.incidents).toHaveLength(1);
    const all = await sp.api.incidents.getAll();
    expect(all.incidents.map((i) => i.name)).toContain('Login & SSO errors <EU>');
  });

  it('gives affected_components per update and a resolved_at equal to the resolving update', async () => {
    const { incidents } = await (await client()).api.incidents.getAll();
    // The client's types predate the field; the JSON has it as Statuspage does.
    type WithAffected = { affected_components: unknown };
    const open = incidents.find((i) => i.name === "Users can't open the dashboard")!;
    const first = open.incident_updates.at(-1)!;
    expect((first as unknown as WithAffected).affected_components).toEqual([
      { code: 'api', name: 'REST API', old_status: 'operational', new_status: 'partial_outage' },
      { code: 'console', name: 'Console', old_status: 'operational', new_status: 'partial_outage' },
    ]);
    // The later update changed no component: null, as Statuspage writes it.
    expect((open.incident_updates[0] as unknown as WithAffected).affected_components).toBeNull();
    const resolved = incidents.find((i) => i.id === resolvedId)!;
    const resolving = resolved.incident_updates.find((u) => u.status === 'resolved')!;
    expect(resolved.resolved_at).toBe(resolving.created_at);
    expect((resolving as unknown as WithAffected).affected_components).toEqual([{ code: 'sms', name: 'Programmable SMS', old_status: 'major_outage', new_status: 'operational' }]);
  });

  it("writes times with the reader's offset: +09:00 for Japanese (Asia/Tokyo), Z in UTC", async () => {
    const ja = await (await client('ja')).api.getSummary();
    expect(ja.page.time_zone).toBe('Asia/Tokyo');
    expect(ja.page.updated_at).toMatch(/\+09:00$/);
    expect(ja.incidents[0]!.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+09:00$/);
    expect(ja.components.find((c) => c.id === 'core')!.name).toBe('コアプラットフォーム');
    const en = await (await client('en')).api.getSummary();
    expect(en.page.updated_at).toMatch(/Z$/);
    expect(Date.parse(ja.page.updated_at)).toBe(Date.parse(en.page.updated_at));
  });

  it('rss-parser reads the feeds with titles escaped once and an author', async () => {
    const parser = new RssParser({ customFields: { feed: ['author'] } });
    for (const path of ['/status/feed.atom', '/status/feed.rss']) {
      const xml = await (await fetch(`${base}${path}?lang=en`)).text();
      const feed = await parser.parseString(xml);
      expect(feed.items.map((i) => i.title).sort()).toEqual(['Login & SSO errors <EU>', "Users can't open the dashboard"]);
      if (path.endsWith('atom')) {
        // RFC 4287 §4.1.1: a feed without an author in every entry MUST have one itself.
        expect((feed as unknown as { author: { name: string[] } }).author.name).toEqual(['Service status']);
        expect(xml).toContain('<title type="text">Login &amp; SSO errors &lt;EU&gt;</title>');
      }
    }
  });
});

describeDb('HTTP for consumers', () => {
  it('answers CORS on /api/v2 and under /status, preflight included', async () => {
    for (const path of ['/api/v2/summary.json', '/status/api/v2/summary.json', '/api/v2/nothing.json']) {
      const res = await fetch(base + path, { headers: { Origin: 'https://customer.example' } });
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
    }
    const pre = await fetch(`${base}/api/v2/summary.json`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://customer.example', 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'x-requested-with' },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('*');
    expect(pre.headers.get('access-control-allow-methods')).toContain('GET');
    expect(pre.headers.get('access-control-allow-headers')).toBe('x-requested-with');
    // HTML pages are not for other origins' scripts.
    expect((await fetch(`${base}/status`)).headers.get('access-control-allow-origin')).toBeNull();
  });

  it('serves brotli, gzip or identity by Accept-Encoding, each the same document, with Vary', async () => {
    for (const path of ['/status?lang=en', '/api/v2/summary.json?lang=en', '/status/history?lang=en', '/status/feed.atom?lang=en']) {
      await raw(path); // render once: the rest come from the cache (the fast path)
      const plain = await raw(path);
      const br = await raw(path, { 'Accept-Encoding': 'gzip, deflate, br' });
      const gz = await raw(path, { 'Accept-Encoding': 'gzip' });
      const none = await raw(path, { 'Accept-Encoding': 'br;q=0, gzip;q=0' });
      expect(plain.headers['content-encoding']).toBeUndefined();
      expect(br.headers['content-encoding']).toBe('br');
      expect(gz.headers['content-encoding']).toBe('gzip');
      expect(none.headers['content-encoding']).toBeUndefined();
      expect(brotliDecompressSync(br.body).equals(plain.body)).toBe(true);
      expect(gunzipSync(gz.body).equals(plain.body)).toBe(true);
      expect(br.body.length).toBeLessThan(plain.body.length / 2);
      for (const r of [plain, br, gz]) {
        expect(r.headers.vary).toContain('Accept-Encoding');
        expect(Number(r.headers['content-length'])).toBe(r.body.length);
      }
      // Each representation has its own ETag, and any of them revalidates.
      expect(new Set([plain, br, gz].map((r) => r.headers.etag)).size).toBe(3);
      const again = await raw(path, { 'Accept-Encoding': 'br', 'If-None-Match': br.headers.etag! });
      expect(again.status).toBe(304);
      expect(again.body.length).toBe(0);
    }
  });

  it('answers a cached page the same before the router as through it', async () => {
    // A fresh render goes through hono; the next request is answered by the fast path.
    statusPage.page.cache.invalidate();
    const first = await raw('/status?lang=ja');
    const second = await raw('/status?lang=ja');
    expect(second.body.equals(first.body)).toBe(true);
    const strip = (h: IncomingHttpHeaders) => Object.fromEntries(Object.entries(h).filter(([k]) => k !== 'date' && k !== 'connection' && k !== 'keep-alive'));
    expect(strip(second.headers)).toEqual(strip(first.headers));
    expect((await raw('/status/incidents/not-a-uuid')).status).toBe(404);
    expect((await raw(`/status/incidents/${seeded.incidentId}`)).status).toBe(200);
    expect((await raw(`/status/incidents/${seeded.incidentId}`)).status).toBe(200);
  });

  it('has a favicon, a meta description and headings in order', async () => {
    const icon = await raw('/favicon.ico');
    expect(icon.status).toBe(200);
    expect(icon.headers['content-type']).toBe('image/x-icon');
    expect(icon.body.subarray(0, 4).equals(Buffer.from([0, 0, 1, 0]))).toBe(true);
    expect(icon.body.subarray(22, 26).toString('latin1')).toBe('\x89PNG');
    for (const path of ['/status?lang=en', '/status/history?lang=en', `/status/incidents/${seeded.incidentId}?lang=en`]) {
      const html = (await raw(path)).body.toString('utf8');
      expect(html).toMatch(/<meta name="description" content="[^"]+">/);
      expect(html).toContain('<link rel="icon" href="/favicon.ico"');
      // No level skipped going down (h1 → h3 without an h2).
      const levels = [...html.matchAll(/<h([1-6])[\s>]/g)].map((m) => Number(m[1]));
      expect(levels[0]).toBe(1);
      for (let i = 1; i < levels.length; i++) expect(levels[i]! - levels[i - 1]!).toBeLessThanOrEqual(1);
    }
    const status = (await raw('/status?lang=en')).body.toString('utf8');
    expect(status).toMatch(/<li class="group"><span class="name">Core platform<\/span>[\s\S]*REST API[\s\S]*Console<\/span>/);
  });
});

describe('start-up warning', () => {
  it('warns when email is on and PUBLIC_URL is not https (RFC 8058 one-click unsubscribe)', () => {
    const warn = vi.fn();
    const logger = { warn, info: vi.fn(), debug: vi.fn(), error: vi.fn(), child: () => logger } as unknown as Parameters<typeof statusPagePart>[0]['logger'];
    const runtime = (publicUrl: string) =>
      ({
        config: { publicUrl, smtp: { url: 'smtp://127.0.0.1:2525', from: 'status@example.com' }, locales: ['en'], timeZones: {}, trustProxyHops: 0 },
        database: { db: {} },
        i18n: testI18n(),
        app: { clock: { now: () => T0 } },
      }) as unknown as Parameters<typeof statusPagePart>[0]['runtime'];
    statusPagePart({ runtime: runtime('http://status.example.com'), logger, metrics: createMetrics() });
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]![1]).toMatch(/PUBLIC_URL is not https.*RFC 8058/);
    statusPagePart({ runtime: runtime('https://status.example.com'), logger, metrics: createMetrics() });
    expect(warn).toHaveBeenCalledTimes(1);
  });
});

const runs = hasBrowser("Atlassian's status widget test (test/status-page/consumers.test.ts)");
const describeBrowser = runs ? describeDb : (name: string, body: () => void) => describe.skip(name, body);

describeBrowser("Atlassian's status widget on another origin", () => {
  let other: Server;
  beforeAll(async () => {
    // Another origin (another port) embedding the widget from npm, as a customer's site would.
    const widget = readFileSync(new URL('../../node_modules/@statuspage/status-widget/dist/index.js', import.meta.url));
    other = createServer((req, res) => {
      if (req.url === '/widget.js') return void res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(widget);
      res.writeHead(200, { 'Content-Type': 'text/html' }).end(`<!doctype html><html><head><script src="/widget.js"></script></head>
<body><statuspage-widget src="${base}/status"></statuspage-widget><statuspage-widget src="${base}" appearance="badge"></statuspage-widget></body></html>`);
    });
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
  });
  afterAll(() => new Promise<void>((r) => other.close(() => r())));

  it('shows our status', async () => {
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'] });
    try {
      const tab = await browser.newPage();
      const failures: string[] = [];
      tab.on('console', (m) => m.type() === 'error' && failures.push(m.text()));
      await tab.goto(`http://localhost:${(other.address() as AddressInfo).port}/`);
      // The widget fetches `<src origin>/api/v2/summary.json` cross-origin and renders its description.
      type Host = { shadowRoot: { textContent: string | null } | null };
      const shown = () => tab.locator('statuspage-widget').evaluateAll((els: Host[]) => els.map((w) => w.shadowRoot?.textContent?.replace(/\s+/g, ' ').trim() ?? ''));
      await expect.poll(shown, { timeout: 10_000 }).toEqual([expect.stringContaining('Partial System Outage'), expect.stringContaining('Partial System Outage')]);
      expect(failures).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 30_000);
});
