import { parseFeed } from '@rowanmanning/feed-parser';
import RssParser from 'rss-parser';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { syncComponents } from '../../src/app/components.ts';
import { declare, T0 } from '../app/helpers.ts';
import { createTestDatabase, describeDb, type TestDatabase } from '../helpers/database.ts';
import { publish, seedOpenIncident, startStatusPage } from './helpers.ts';

/** Texts that would become markup (or break a CDATA section, or nest an i18next key) if anything were not escaped. */
export const XSS_CORPUS = [
  '<script>window.__xss=1</script>',
  '"><img src=x onerror="window.__xss=1">',
  "'><svg onload=window.__xss=1>",
  ']]><script>window.__xss=1</script><![CDATA[',
  '</title></textarea><iframe src="javascript:window.__xss=1">',
  '&lt;b&gt;entity&lt;/b&gt; & <b>bold</b>',
  '$t(public:page.title) {{title}}',
];

let database: TestDatabase;
let server: Awaited<ReturnType<typeof startStatusPage>>;
let seeded: Awaited<ReturnType<typeof seedOpenIncident>>;

beforeAll(async () => {
  database = await createTestDatabase();
  await syncComponents(
    database.db,
    { components: XSS_CORPUS.map((name, i) => ({ id: `c${i}`, name, names: { ja: `${name} (ja)` } })), glossary: [] },
    T0,
  );
  seeded = await seedOpenIncident(database.db, { title: XSS_CORPUS[1]!, components: ['c0', 'c1', 'c2'] });
  for (const [i, text] of XSS_CORPUS.entries()) {
    seeded.clock.advance(60_000);
    await publish(seeded.ctx, seeded.actor, seeded.incidentId, { en: `${text} #${i}`, ja: `${text} #${i} ja` });
  }
  // The corpus in titles too.
  for (const title of XSS_CORPUS) {
    const { incidentId } = await declare(seeded.ctx, seeded.actor, { title, components: ['c3'] });
    await publish(seeded.ctx, seeded.actor, incidentId, { en: title });
  }
  server = await startStatusPage(database.db, seeded.clock);
});

afterAll(async () => {
  await server?.close();
  await database.drop();
});

async function text(path: string): Promise<string> {
  const res = await fetch(server.base + path);
  expect(res.status).toBe(200);
  return res.text();
}

describeDb('escaping of user text', () => {
  it('HTML pages show the corpus as text and never as markup', async () => {
    const paths = ['/status', '/status/history', `/status/incidents/${seeded.incidentId}`];
    for (const lang of ['en', 'ja']) {
      for (const path of paths) {
        const html = await text(`${path}?lang=${lang}`);
        for (const payload of XSS_CORPUS.filter((p) => /[<>"']/.test(p))) expect(html).not.toContain(payload);
        expect(html).not.toMatch(/<(script|img|svg|iframe|b)[\s>]/i);
        expect(html).toContain('&lt;script&gt;window.__xss=1&lt;/script&gt;');
        // A literal entity in the text stays literal: its ampersand is escaped again.
        expect(html).toContain('&amp;lt;b&amp;gt;entity');
        // i18next never expands keys or variables that arrive inside user text.
        expect(html).toContain('$t(public:page.title) {{title}}');
      }
    }
  });

  it('JSON returns the corpus as exactly the same strings, with no raw angle brackets on the wire', async () => {
    const raw = await text('/api/v2/incidents.json');
    expect(raw).not.toMatch(/[<>]/);
    const body = JSON.parse(raw);
    const incident = body.incidents.find((i: any) => i.id === seeded.incidentId);
    expect(incident.name).toBe(XSS_CORPUS[1]);
    expect(incident.incident_updates.map((u: any) => u.body)).toEqual(expect.arrayContaining(XSS_CORPUS.map((p, i) => `${p} #${i}`)));
    const { components } = JSON.parse(await text('/api/v2/components.json?lang=ja'));
    expect(components.map((c: any) => c.name)).toEqual(XSS_CORPUS.map((p) => `${p} (ja)`));
  });

  it('feeds carry titles as text and content without markup of the authors', async () => {
    for (const path of ['/status/feed.atom', '/status/feed.rss']) {
      const xml = await text(path);
      // The HTML inside title/summary/content (CDATA or not) holds only our own tags.
      const htmlParts = [...xml.matchAll(/<(title|summary|content|description|content:encoded)[^>]*>([\s\S]*?)<\/\1>/g)].map((m) => m[2]!);
      expect(htmlParts.length).toBeGreaterThan(XSS_CORPUS.length);
      for (const part of htmlParts) {
        const html = part.replace(/^<!\[CDATA\[/, '').replace(/\]\]>$/, '');
        expect(html).not.toMatch(/<(script|img|svg|iframe|b)[\s>]/i);
        expect(html).not.toContain(']]>');
      }
      // Read by a feed parser, titles and texts are the authors' exact words. Titles are plain
      // text (Atom type="text"); @rowanmanning/feed-parser decodes entities in any title, so a
      // title that literally says "&lt;b&gt;" is read through rss-parser, which follows the type.
      const feed = parseFeed(xml);
      const titles = (await new RssParser().parseString(xml)).items.map((i) => i.title);
      for (const title of XSS_CORPUS) expect(titles).toContain(title);
      for (const title of XSS_CORPUS.filter((x) => !/&\w+;/.test(x))) expect(feed.items.map((i) => i.title)).toContain(title);
      const content = feed.items.find((i) => i.url?.includes(seeded.incidentId))!.content!;
      expect(content).toContain(`${XSS_CORPUS[0]} #0`);
    }
  });
});

describeDb('live updates', () => {
  it('shows a newly published update within one second, without a poll (LISTEN/NOTIFY)', async () => {
    // The fingerprint poll of the test server runs once a minute: only the notification can refresh in time.
    const before = await text('/status?lang=en');
    expect(before).not.toContain('Traffic is back to normal');
    seeded.clock.advance(60_000);
    await publish(seeded.ctx, seeded.actor, seeded.incidentId, { en: 'Traffic is back to normal.' });
    const deadline = Date.now() + 1_000;
    let seen = false;
    while (!seen && Date.now() < deadline) {
      seen = (await text('/status?lang=en')).includes('Traffic is back to normal.');
      if (!seen) await new Promise((r) => setTimeout(r, 25));
    }
    expect(seen).toBe(true);
  });
});
