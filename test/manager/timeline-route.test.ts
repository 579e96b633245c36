import { afterAll, beforeAll, expect, it } from 'vitest';
import { addNote } from '../../src/app/add-note.ts';
import { changeStatus } from '../../src/app/change-status.ts';
import { setComponents } from '../../src/app/set-components.ts';
import { createTimelineLinks, TIMELINE_LINK_TTL_MS, timelineLinkKey, type TimelineLinks, timelineLinksFor } from '../../src/chat/timeline-link.ts';
import { loadConfig } from '../../src/config.ts';
import { openRuntime } from '../../src/runtime.ts';
import { buildServer } from '../../src/main.ts';
import type { ServerPartFactory } from '../../src/server-part.ts';
import type { ManualClock } from '../../src/core/clock.ts';
import type { AppContext } from '../../src/app/context.ts';
import type { HttpServer } from '../../src/http.ts';
import { createLogger } from '../../src/logger.ts';
import { createManagerPart } from '../../src/manager/part.ts';
import { registerTimelineRoute } from '../../src/manager/timeline-route.ts';
import { declare, makeContext, metaOf, MINUTE, person, testI18n } from '../app/helpers.ts';
import { createTestDatabase, describeDb, type TestDatabase } from '../helpers/database.ts';
import { serveRoutes } from '../helpers/serve-routes.ts';

const ADMIN_TOKEN = 'admin-secret-token';
const PUBLIC_URL = 'https://tsuiki.example';

let database: TestDatabase;
let ctx: AppContext;
let clock: ManualClock;
let links: TimelineLinks;
let http: HttpServer;
let base: string;
let pub: { incidentId: string; number: number };
let priv: { incidentId: string; number: number };

beforeAll(async () => {
  database = await createTestDatabase();
  ({ ctx, clock } = makeContext(database.db));
  links = createTimelineLinks({ key: timelineLinkKey({ slackSigningSecret: 'signing-secret' })!, publicUrl: PUBLIC_URL, now: () => clock.now() });
  ({ http, base } = await serveRoutes(database, (app) =>
    registerTimelineRoute(app, { db: database.db, i18n: testI18n(), languages: ['en', 'ja'], teamTimeZone: 'Asia/Tokyo', links, adminToken: ADMIN_TOKEN, now: () => clock.now() }),
  ));

  const taro = person('Taro');
  const meta = metaOf(taro, { inIncidentChannel: true });
  pub = await declare(ctx, taro, { title: 'API <errors> & "timeouts"', severity: 'SEV2' });
  await setComponents(ctx, meta, pub.incidentId, { components: ['api'], impact: 'partial_outage' });
  clock.advance(5 * MINUTE);
  await addNote(ctx, meta, pub.incidentId, { text: 'Error rate 30% <script>alert(1)</script> on eu-west' });
  clock.advance(5 * MINUTE);
  await changeStatus(ctx, meta, pub.incidentId, { status: 'identified' });
  priv = await declare(ctx, taro, { title: 'Credential leak', visibility: 'private' });
  await addNote(ctx, meta, priv.incidentId, { text: 'Rotated the leaked key' });
});

afterAll(async () => {
  await http?.close();
  await database?.drop();
});

/** Follows a link as a browser would: the path and query of PUBLIC_URL's link, on the local server. */
function follow(link: string, init: RequestInit = {}, path?: (p: string) => string) {
  const url = new URL(link);
  return fetch(`${base}${path ? path(url.pathname) : url.pathname}${url.search}`, init);
}

describeDb('GET /incidents/:n/timeline', () => {
  it('shows the whole timeline with status, severity, components and every entry in the team’s zone, escaped', async () => {
    const res = await follow(links.url({ number: pub.number, visibility: 'public' }, 'en'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toContain('<html lang="en">');
    expect(html).toContain('Timeline of INC-1: API &lt;errors&gt; &amp; &quot;timeouts&quot;');
    expect(html).toContain('<dt>Status</dt><dd>Identified</dd>');
    expect(html).toContain('<dt>Severity</dt><dd>SEV2 (major)</dd>');
    expect(html).toContain('api (Partial outage)');
    // Entries: time in the team's zone (JST), author, kind, text.
    expect(html).toMatch(/Feb 27, 00:05 GMT\+9<\/time><\/td>\s*<td>Taro<\/td>\s*<td>Note<\/td>\s*<td class="entry">Note: Error rate 30% &lt;script&gt;alert\(1\)&lt;\/script&gt; on eu-west<\/td>/);
    expect(html).toContain('<td>Status</td>');
    expect(html).toContain('Status changed to Identified');
    expect(html).not.toContain('<script>');
  });

  it('is internal: never cached, indexed or leaked through a Referer, scripts refused', async () => {
    const res = await follow(links.url({ number: pub.number, visibility: 'public' }, 'en'));
    expect(res.headers.get('cache-control')).toBe('private, no-store');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('x-robots-tag')).toMatch(/noindex/);
    expect(res.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
  });

  it('reads in Japanese with ?lang=ja, and with Accept-Language: ja when the link names no language', async () => {
    const ja = await (await follow(links.url({ number: pub.number, visibility: 'public' }, 'ja'))).text();
    expect(ja).toContain('<html lang="ja">');
    expect(ja).toContain('INC-1 のタイムライン');
    expect(ja).toContain('<dt>状態</dt><dd>原因特定</dd>');
    expect(ja).toContain('2/27 0:05 (JST)');
    const url = new URL(links.url({ number: pub.number, visibility: 'public' }, 'en'));
    url.searchParams.delete('lang');
    const negotiated = await follow(url.toString(), { headers: { 'Accept-Language': 'ja-JP,ja;q=0.9,en;q=0.5' } });
    expect(negotiated.headers.get('content-language')).toBe('ja');
    expect(await negotiated.text()).toContain('INC-1 のタイムライン');
  });

  it('serves the same timeline as Markdown with the same signature, user text escaped', async () => {
    const res = await follow(links.url({ number: pub.number, visibility: 'public' }, 'en'), {}, (p) => `${p}.md`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/markdown; charset=utf-8');
    const md = await res.text();
    expect(md).toContain('# Timeline of INC-1: API \\<errors\\> & "timeouts"');
    expect(md).toContain('- Feb 27, 00:05 GMT+9 · Taro · Note: Error rate 30% \\<script\\>alert(1)\\</script\\> on eu-west');
    expect(md).toContain('- **Status:** Identified');
  });

  it.each([
    ['no signature', (u: URL) => u.searchParams.delete('sig')],
    ['a forged signature', (u: URL) => u.searchParams.set('sig', 'A'.repeat(43))],
    ['another incident’s signature', (u: URL) => (u.pathname = `/incidents/${priv.number}/timeline`)],
    ['an expiry pushed later', (u: URL) => u.searchParams.set('exp', String(Number(u.searchParams.get('exp')) + 3600))],
  ])('answers %s with 403 and a localized message, before looking the incident up', async (_what, tamper) => {
    for (const [lang, words] of [
      ['en', 'This timeline link is not valid'],
      ['ja', 'このタイムラインのリンクは無効です'],
    ] as const) {
      const url = new URL(links.url({ number: pub.number, visibility: 'public' }, lang));
      tamper(url);
      const res = await follow(url.toString());
      expect(res.status).toBe(403);
      const html = await res.text();
      expect(html).toContain(words);
      expect(html).not.toContain('Error rate');
      expect(html).not.toContain('Credential leak');
    }
  });

  it('answers a link past its expiry with 403, saying when it expired (en and ja)', async () => {
    const en = links.url({ number: pub.number, visibility: 'public' }, 'en');
    const ja = links.url({ number: pub.number, visibility: 'public' }, 'ja');
    clock.advance(TIMELINE_LINK_TTL_MS.public + MINUTE);
    try {
      const res = await follow(en);
      expect(res.status).toBe(403);
      expect(await res.text()).toMatch(/This timeline link expired on Mar 6, 2026, 00:1\d GMT\+9/);
      const resJa = await follow(ja);
      expect(resJa.status).toBe(403);
      expect(await resJa.text()).toContain('期限切れ');
    } finally {
      clock.advance(-(TIMELINE_LINK_TTL_MS.public + MINUTE));
    }
  });

  it('opens a private incident with its signed link, which expires after a day, not a week', async () => {
    const link = links.url({ number: priv.number, visibility: 'private' }, 'en');
    const ok = await follow(link);
    expect(ok.status).toBe(200);
    const html = await ok.text();
    expect(html).toContain('Rotated the leaked key');
    expect(html).toContain('<dt>Visibility</dt><dd>private</dd>');
    clock.advance(TIMELINE_LINK_TTL_MS.private + MINUTE);
    try {
      expect((await follow(link)).status).toBe(403);
    } finally {
      clock.advance(-(TIMELINE_LINK_TTL_MS.private + MINUTE));
    }
  });

  it('opens any incident, private too, with the ADMIN_TOKEN bearer and no link; a wrong token is 403', async () => {
    const path = `${base}/incidents/${priv.number}/timeline?lang=en`;
    const ok = await fetch(path, { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('Rotated the leaked key');
    const wrong = await fetch(path, { headers: { Authorization: 'Bearer not-the-token' } });
    expect(wrong.status).toBe(403);
    expect((await fetch(path)).status).toBe(403);
  });

  it('answers a well-signed link to an incident that does not exist with 404', async () => {
    const res = await follow(links.url({ number: 999, visibility: 'public' }, 'ja'));
    expect(res.status).toBe(404);
    expect(await res.text()).toContain('INC-999 というインシデントはありません');
  });

  it('refuses every link when no secret is configured, but still opens with the ADMIN_TOKEN', async () => {
    const bare = await serveRoutes(database, (app) =>
      registerTimelineRoute(app, { db: database.db, i18n: testI18n(), languages: ['en', 'ja'], teamTimeZone: 'Asia/Tokyo', links: undefined, adminToken: ADMIN_TOKEN, now: () => clock.now() }),
    );
    try {
      const url = new URL(links.url({ number: pub.number, visibility: 'public' }, 'en'));
      expect((await fetch(`${bare.base}${url.pathname}${url.search}`)).status).toBe(403);
      const admin = await fetch(`${bare.base}${url.pathname}`, { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } });
      expect(admin.status).toBe(200);
    } finally {
      await bare.http.close();
    }
  });

  it.each([
    ['SLACK_SIGNING_SECRET', { SLACK_BOT_TOKEN: 'xoxb-x', SLACK_SIGNING_SECRET: 'signing-secret' }],
    ['ADMIN_TOKEN', { ADMIN_TOKEN: ADMIN_TOKEN }],
  ])('is mounted by the managers part and opens the links chat signs from the same settings (%s)', async (_key, env) => {
    const runtime = await openRuntime(loadConfig({ ...env, PUBLIC_URL, LOCALES: 'en,ja', TEAM_TIME_ZONE: 'Asia/Tokyo' }), { database, clock, i18n: testI18n() });
    // The managers part's routes only: its background jobs are another file's subject.
    const routesOnly: ServerPartFactory = (deps) => {
      const { name, routes } = createManagerPart(deps);
      return { name, routes };
    };
    const served = await buildServer(runtime, { parts: [routesOnly], logger: createLogger({ level: 'silent' }), port: 0, host: '127.0.0.1' });
    const { port } = served;
    try {
      const url = new URL(timelineLinksFor(runtime)!.url({ number: pub.number, visibility: 'public' }, 'en'));
      const res = await fetch(`http://127.0.0.1:${port}${url.pathname}${url.search}`);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('Error rate 30%');
      // A link signed under the other test server's secret does not open this one.
      const foreign = new URL(createTimelineLinks({ key: timelineLinkKey({ slackSigningSecret: 'another-secret' })!, publicUrl: PUBLIC_URL, now: () => clock.now() }).url({ number: pub.number, visibility: 'public' }, 'en'));
      expect((await fetch(`http://127.0.0.1:${port}${foreign.pathname}${foreign.search}`)).status).toBe(403);
    } finally {
      await served.stop();
    }
  });
});
