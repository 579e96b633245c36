import { afterAll, beforeAll, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import * as t from '../../src/db/schema.ts';
import { scheduleMaintenance } from '../../src/app/maintenance.ts';
import { metaOf } from '../app/helpers.ts';
import { createTestDatabase, describeDb, type TestDatabase } from '../helpers/database.ts';
import { ADMIN_TOKEN, Browserless, signInLink, startWebApp } from './helpers.ts';
import { type Seeded, seedWebData } from './seed.ts';

let database: TestDatabase;
let app: Awaited<ReturnType<typeof startWebApp>>;
let seeded: Seeded;
let aiko: Browserless;
let ben: Browserless;
let admin: Browserless;

beforeAll(async () => {
  database = await createTestDatabase();
  app = await startWebApp(database);
  seeded = await seedWebData(app.ctx, app.clock);
  aiko = new Browserless(app.base);
  await aiko.signInWith(await signInLink(app.ctx, app.base, seeded.aiko));
  ben = new Browserless(app.base);
  await ben.signInWith(await signInLink(app.ctx, app.base, seeded.ben));
  admin = new Browserless(app.base);
  const page = await (await admin.request('/app/sign-in')).text();
  await admin.request('/app/sign-in/admin', { form: { admin_token: ADMIN_TOKEN, _pre: Browserless.hidden(page, '_pre') } });
}, 120_000);

afterAll(async () => {
  await app?.close();
  await database?.drop();
});

describeDb('web app pages', () => {
  it('exports the metrics as CSV with each interval in minutes', async () => {
    const res = await aiko.request('/app/metrics.csv');
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    const lines = (await res.text()).trim().split('\r\n');
    expect(lines[0]).toBe('incident,title,severity,started,detect_minutes,declare_minutes,first_public_minutes,mitigate_minutes,resolve_minutes');
    expect(lines).toContain('INC-1,API errors after a database failover,SEV2,2026-01-12T03:00:00.000Z,2.0,6.0,25.0,70.0,95.0');
  });

  it('counts only incidents the viewer may see in the metrics', async () => {
    const mine = await (await aiko.request('/app/metrics.csv')).text();
    const theirs = await (await ben.request('/app/metrics.csv')).text();
    expect(mine).toContain(`INC-${seeded.private.number},`);
    expect(theirs).not.toContain(`INC-${seeded.private.number},`);
    expect(theirs).not.toContain('Credential leak');
  });

  it('writes the per-month medians in the chart and its table', async () => {
    const html = await (await aiko.request('/app/metrics')).text();
    expect(html).toContain('<svg viewBox="0 0 640 300" role="img" aria-labelledby="chart-by-month-title chart-by-month-desc"');
    // January: first public notice after 25 and 18 minutes → median 21.5.
    expect(html).toContain('2026-01 · To first public notice: 21.5 minutes');
  });

  it('renders the postmortem draft with its Mermaid chart, and lets a responder regenerate it', async () => {
    const number = seeded.resolved[0]!.number;
    const page = await (await aiko.request(`/app/incidents/${number}/postmortem`)).text();
    expect(page).toContain('<pre class="mermaid">');
    expect(page).toContain('/app/assets/mermaid.js');
    const markdown = await aiko.request(`/app/incidents/${number}/postmortem.md?lang=ja`);
    expect(markdown.headers.get('content-type')).toMatch(/^text\/markdown/);
    expect(await markdown.text()).toContain('```mermaid');
    expect((await ben.request(`/app/incidents/${seeded.private.number}/postmortem.md`)).status).toBe(404);
    const before = await database.db.select({ at: t.postmortem.generatedAt }).from(t.postmortem).where(eq(t.postmortem.incidentId, seeded.resolved[0]!.incidentId));
    app.clock.advance(60_000);
    const res = await aiko.request(`/app/incidents/${number}/postmortem`, { form: { _csrf: await aiko.csrf() } });
    expect(res.status).toBe(303);
    const after = await database.db.select({ at: t.postmortem.generatedAt }).from(t.postmortem).where(eq(t.postmortem.incidentId, seeded.resolved[0]!.incidentId));
    expect(after[0]!.at.getTime()).toBeGreaterThan(before[0]!.at.getTime());
  });

  it('refuses to regenerate for someone who is not on the incident, as the postmortem verb does', async () => {
    const res = await ben.request(`/app/incidents/${seeded.resolved[0]!.number}/postmortem`, { form: { _csrf: await ben.csrf() } });
    expect(res.status).toBe(403);
  });

  it('keeps subscribers to administrators', async () => {
    expect((await aiko.request('/app/subscribers')).status).toBe(403);
    expect((await aiko.request('/app/subscribers/import', { form: { _csrf: await aiko.csrf(), csv: 'type,address,lang,time_zone,components,secret\nemail,x@example.com,en,UTC,,\n' } })).status).toBe(403);
    expect(await database.db.select().from(t.subscriber).where(eq(t.subscriber.address, 'x@example.com'))).toEqual([]);
  });

  it('imports a pasted CSV and removes a subscriber only with the CSRF token', async () => {
    const csrf = await admin.csrf();
    const imported = await admin.request('/app/subscribers/import', { form: { _csrf: csrf, csv: 'type,address,lang,time_zone,components,secret\nemail,sato@example.jp,ja,Asia/Tokyo,,\n' } });
    expect(await imported.text()).toContain('Added 1, updated 0.');
    const [row] = await database.db.select().from(t.subscriber).where(eq(t.subscriber.address, 'sato@example.jp'));
    expect(row!.confirmed).toBe(true);
    expect((await admin.request(`/app/subscribers/${row!.id}/remove`, { form: {} })).status).toBe(403);
    expect((await database.db.select().from(t.subscriber).where(eq(t.subscriber.id, row!.id)))[0]!.confirmed).toBe(true);
    expect((await admin.request(`/app/subscribers/${row!.id}/remove`, { form: { _csrf: csrf } })).status).toBe(303);
    expect((await database.db.select().from(t.subscriber).where(eq(t.subscriber.id, row!.id)))[0]!.confirmed).toBe(false);
  });

  it('says why each rejected line was rejected, in the reader’s language', async () => {
    const csv = 'type,address,lang,time_zone,components,secret\nfax,123,en,UTC,,\nemail,not-an-address,en,UTC,,\nemail,ok@example.jp,fr,UTC,,\n';
    const en = await (await admin.request('/app/subscribers/import', { form: { _csrf: await admin.csrf(), csv } })).text();
    expect(en).toContain('Line 2: type must be email or webhook, not &quot;fax&quot;');
    expect(en).toContain('Line 3: &quot;not-an-address&quot; is not an email address');
    expect(en).toContain('Line 4: language &quot;fr&quot; is not one of en, ja');
    const ja = await (await admin.request('/app/subscribers/import?lang=ja', { form: { _csrf: await admin.csrf(), csv } })).text();
    expect(ja).toContain('2 行目: type は email か webhook です（「fax」は使えません）');
    expect(ja).toContain('3 行目: 「not-an-address」はメールアドレスではありません');
    expect(ja).toContain('4 行目: 言語「fr」は使えません（en, ja のいずれか）');
  });

  it('speaks the session user’s language, and ?lang= overrides it on every link', async () => {
    const ja = await (await aiko.request('/app/?lang=ja')).text();
    expect(ja).toContain('<html lang="ja">');
    expect(ja).toContain('href="/app/metrics?lang=ja"');
    expect(await (await aiko.request('/app/')).text()).toContain('<html lang="en">');
  });

  it('writes every time with its zone', async () => {
    const html = await (await aiko.request(`/app/incidents/${seeded.open.number}?lang=ja`)).text();
    expect(html).toMatch(/3\/10 17:40 \(JST\)/);
    const en = await (await aiko.request(`/app/incidents/${seeded.open.number}?lang=en`)).text();
    expect(en).toMatch(/Mar 10, 08:40 UTC/);
  });

  it('streams timeline entries after the one given as server-sent events', async () => {
    const controller = new AbortController();
    const res = await fetch(`${app.base}/app/incidents/${seeded.open.number}/events?after=0`, {
      headers: { cookie: [...aiko.cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
      signal: controller.signal,
    });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes('event: entry')) text += new TextDecoder().decode((await reader.read()).value);
    controller.abort();
    expect(text).toMatch(/id: \d+/);
    expect(text).toContain('Elevated API error rates');
  });

  it('refuses a body larger than the biggest form before reading it (413)', async () => {
    const res = await admin.request('/app/subscribers/import', { form: { _csrf: await admin.csrf(), csv: 'x'.repeat(7 * 1024 * 1024) } });
    expect(res.status).toBe(413);
  });

  it('lists maintenance windows, private ones only for their author and administrators (as chat does)', async () => {
    const now = app.clock.now().getTime();
    const hour = 60 * 60_000;
    await scheduleMaintenance(app.ctx, metaOf(seeded.aiko), { title: 'Database upgrade', start: new Date(now + 24 * hour), end: new Date(now + 26 * hour), components: ['api'], visibility: 'public' });
    await scheduleMaintenance(app.ctx, metaOf(seeded.aiko), { title: 'Key rotation', start: new Date(now + 48 * hour), end: new Date(now + 49 * hour), components: [], visibility: 'private' });
    const mine = await (await aiko.request('/app/maintenance')).text();
    expect(mine).toContain('Database upgrade');
    expect(mine).toContain('Key rotation');
    const theirs = await (await ben.request('/app/maintenance?lang=ja')).text();
    expect(theirs).toContain('Database upgrade');
    expect(theirs).not.toContain('Key rotation');
    expect(theirs).toMatch(/3\/11 18:0\d \(JST\) – 3\/11 20:0\d \(JST\)/);
    expect(await (await admin.request('/app/maintenance')).text()).toContain('Key rotation');
  });
});
