import { afterAll, beforeAll, expect, it } from 'vitest';
import { closeIncident } from '../../src/app/close-incident.ts';
import { setKeyMoment } from '../../src/app/set-key-moment.ts';
import { createPostmortemLinks } from '../../src/chat/postmortem-link.ts';
import { timelineLinkKey } from '../../src/chat/timeline-link.ts';
import type { HttpServer } from '../../src/http.ts';
import { renderMarkdown } from '../../src/manager/postmortem-page.ts';
import { registerPostmortemRoute } from '../../src/manager/postmortem-route.ts';
import { declare, makeContext, metaOf, MINUTE, person, testI18n } from '../app/helpers.ts';
import { createTestDatabase, describeDb, type TestDatabase } from '../helpers/database.ts';
import { serveRoutes } from '../helpers/serve-routes.ts';

const ADMIN_TOKEN = 'admin-secret-token-for-pages';
const NOW = new Date('2026-03-01T12:00:00Z');
const links = createPostmortemLinks({ key: timelineLinkKey({ adminToken: ADMIN_TOKEN })!, publicUrl: 'https://tsuiki.example', now: () => NOW });

let database: TestDatabase;
let http: HttpServer;
let base: string;

beforeAll(async () => {
  database = await createTestDatabase();
  ({ http, base } = await serveRoutes(database, (app) =>
    registerPostmortemRoute(app, { db: database.db, i18n: testI18n(), languages: ['en', 'ja'], adminToken: ADMIN_TOKEN, links, teamTimeZone: 'Asia/Tokyo' }),
  ));
});
afterAll(async () => {
  await http?.close();
  await database.drop();
});

async function closedIncident(visibility: 'public' | 'private'): Promise<number> {
  const started = new Date('2026-02-28T13:25:00Z');
  const { ctx, clock } = makeContext(database.db, { publicUrl: 'https://tsuiki.example' }, new Date(started.getTime() + 20 * MINUTE));
  const aiko = person('Aiko');
  const meta = metaOf(aiko, { inIncidentChannel: true });
  const { incidentId, number } = await declare(ctx, aiko, { title: 'Payments <b>down</b>', severity: 'SEV1', started, visibility });
  await setKeyMoment(ctx, meta, incidentId, { moment: 'detected', at: new Date(started.getTime() + MINUTE) });
  clock.advance(40 * MINUTE);
  await closeIncident(ctx, meta, incidentId, {});
  return number;
}

const signed = (number: number, lang: string, visibility: 'public' | 'private' = 'public') => links.url({ number, visibility }, lang).replace('https://tsuiki.example', base);

describeDb('GET /incidents/:n/postmortem over HTTP', () => {
  let number: number;
  beforeAll(async () => {
    number = await closedIncident('public');
  });

  it('renders the English draft as a printable page with its Mermaid chart and the script tsuiki serves', async () => {
    const res = await fetch(signed(number, 'en'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    const page = await res.text();
    expect(page).toContain('<html lang="en">');
    expect(page).toContain(`<h1>INC-${number} Postmortem: Payments &lt;b&gt;down&lt;/b&gt;</h1>`);
    expect(page).not.toContain('<b>down</b>');
    expect(page).toMatch(/<pre class="mermaid">timeline\n {4}title /);
    expect(page).toContain('<table>');
    expect(page).toContain('@media print');
    expect(page).toContain('https://tsuiki.example/status');
    const src = /<script src="([^"]+)" defer><\/script>/.exec(page)?.[1];
    expect(src).toMatch(/^\/assets\/mermaid\.min\.js\?v=\d+\.\d+\.\d+/);
    // The Markdown and the other language open with the same signature.
    const md = /<a href="([^"]+)" type="text\/markdown">/.exec(page)![1]!.replace(/&amp;/g, '&');
    expect(await (await fetch(`${base}${md}`)).text()).toMatch(/^# INC-\d+ Postmortem/);
    const ja = /<a href="([^"]+)" hreflang="ja"/.exec(page)![1]!.replace(/&amp;/g, '&');
    expect((await fetch(`${base}${ja}`)).status).toBe(200);

    const script = await fetch(`${base}${src}`);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toMatch(/^text\/javascript/);
    const js = await script.text();
    expect(js.length).toBeGreaterThan(1_000_000);
    expect(js).toContain('mermaid');
  });

  it('renders the Japanese draft in Japanese', async () => {
    const page = await (await fetch(signed(number, 'ja'))).text();
    expect(page).toContain('<html lang="ja">');
    expect(page).toContain('ポストモーテム');
    expect(page).toContain('検知までの時間');
    expect(page).toContain('<pre class="mermaid">');
    expect(page).toContain('このリンクは');
  });

  it('refuses no link, a forged link and an expired one with 403, saying nothing of the incident', async () => {
    const none = await fetch(`${base}/incidents/${number}/postmortem`);
    expect(none.status).toBe(403);
    const forged = await fetch(signed(number, 'en').replace(/sig=[^&]+/, 'sig=x'));
    expect(forged.status).toBe(403);
    const missing = await fetch(signed(number, 'en').replace(`/incidents/${number}/`, '/incidents/424242/'));
    expect(missing.status).toBe(403);
    const bodies = [await none.text(), await forged.text(), await missing.text()];
    for (const body of bodies) expect(body).not.toContain('Payments');
    expect(new Set(bodies).size).toBe(1);
    const old = createPostmortemLinks({ key: timelineLinkKey({ adminToken: ADMIN_TOKEN })!, publicUrl: base, now: () => new Date(NOW.getTime() - 8 * 24 * 60 * MINUTE) });
    const expired = await fetch(old.url({ number, visibility: 'public' }, 'en'));
    expect(expired.status).toBe(403);
    expect(await expired.text()).toContain('expired');
  });

  it('opens with the administrator token instead of a link', async () => {
    const res = await fetch(`${base}/incidents/${number}/postmortem?lang=ja`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(res.status).toBe(200);
    expect(await res.text()).not.toContain('このリンクは');
  });

  it('opens a private incident\'s draft, HTML and Markdown, with its own signed link', async () => {
    const secret = await closedIncident('private');
    expect((await fetch(`${base}/incidents/${secret}/postmortem.md`)).status).toBe(401);
    const url = signed(secret, 'en', 'private');
    expect((await fetch(url)).status).toBe(200);
    const md = url.replace('/postmortem?', '/postmortem.md?');
    expect(await (await fetch(md)).text()).toMatch(/^# INC-\d+ Postmortem/);
  });
});

it('renders action items as checkboxes and never raw HTML or script links', () => {
  const html = renderMarkdown('- [ ] fix it\n- [x] done\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1))\n');
  expect(html).toContain('☐ fix it');
  expect(html).toContain('☑ done');
  expect(html).not.toContain('<script>');
  expect(html).not.toContain('href="javascript:');
});
