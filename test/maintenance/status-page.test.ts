import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import RssParser from 'rss-parser';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import { syncComponents } from '../../src/app/components.ts';
import { cancelMaintenance, runMaintenanceJob, scheduleMaintenance } from '../../src/app/maintenance.ts';
import { changeStatus } from '../../src/app/change-status.ts';
import type { AppContext } from '../../src/app/context.ts';
import * as t from '../../src/db/schema.ts';
import type { ManualClock } from '../../src/core/clock.ts';
import { makeContext, metaOf, MINUTE, person } from '../app/helpers.ts';
import { createTestDatabase, describeDb, type TestDatabase } from '../helpers/database.ts';
import { SPECS_DIR } from '../helpers/specs.ts';
import { seedOpenIncident, startStatusPage } from '../status-page/helpers.ts';

const NOW = new Date('2026-03-02T01:00:00Z'); // 10:00 in Tokyo
const HOUR = 60 * MINUTE;

const spec = JSON.parse(readFileSync(join(SPECS_DIR, 'statuspage/statuspage-manage-api.openapi3.json'), 'utf8'));
const incidentProps = spec.components.schemas.Incident.properties as Record<string, { type?: string; enum?: string[]; format?: string }>;
const ajv = new Ajv({ strict: false, allErrors: true });
addFormats.default(ajv);

/** Checks every field of a maintenance against the spec's Incident (its type, vocabulary and format). */
function expectSpecShaped(m: Record<string, unknown>) {
  for (const [key, value] of Object.entries(m)) {
    if (key === 'started_at' || value === null) continue;
    const p = incidentProps[key];
    expect(p, key).toBeDefined();
    const schema = { type: p!.type === 'Object' ? 'object' : p!.type, ...(p!.enum ? { enum: p!.enum } : {}), ...(p!.format ? { format: p!.format } : {}) };
    expect(ajv.validate(schema, value), `${key}: ${ajv.errorsText()}`).toBe(true);
  }
}

let database: TestDatabase;
let server: Awaited<ReturnType<typeof startStatusPage>>;
let ctx: AppContext;
let clock: ManualClock;
const actor = { ...person('Aiko', 'ja'), timeZone: 'Asia/Tokyo' };

beforeAll(async () => {
  database = await createTestDatabase();
  await syncComponents(
    database.db,
    { components: [{ id: 'api', name: 'REST API', names: {} }, { id: 'console', name: 'Console', names: { ja: 'コンソール' } }], glossary: [] },
    NOW,
  );
});
afterAll(() => database.drop());
beforeEach(async () => {
  ({ ctx, clock } = makeContext(database.db, {}, NOW));
  server = await startStatusPage(database.db, clock);
});
afterEach(async () => {
  // Each test leaves no window open for the next.
  for (const m of await database.db.select().from(t.maintenance)) {
    if (m.status === 'scheduled' || m.status === 'in_progress' || m.status === 'verifying') await cancelMaintenance(ctx, metaOf(actor), m.number);
  }
  await server.close();
});

async function schedule(title: string, startIn: number, components: string[], visibility: 'public' | 'private' = 'public') {
  const start = new Date(clock.now().getTime() + startIn);
  const { outcome } = await scheduleMaintenance(ctx, metaOf(actor), { title, start, end: new Date(start.getTime() + 2 * HOUR), components, visibility, description: 'Writes pause.' });
  return { ...outcome, start };
}

async function json(path: string): Promise<any> {
  const res = await fetch(server.base + path);
  expect(res.status).toBe(200);
  return res.json();
}

async function text(path: string, status = 200): Promise<string> {
  const res = await fetch(server.base + path);
  expect(res.status).toBe(status);
  return res.text();
}

/** Starts a window by its own job, as the clock passing its start does. */
async function start(m: { maintenanceId: string; start: Date }) {
  clock.set(new Date(m.start.getTime() + MINUTE));
  await runMaintenanceJob(ctx, { maintenanceId: m.maintenanceId, edge: 'start' });
}

describeDb('maintenance on the status page', () => {
  it('summary.json lists upcoming and active maintenances, soonest first, shaped as Statuspage writes them', async () => {
    const later = await schedule('Network switch swap', 26 * HOUR, []);
    const soon = await schedule('Database upgrade', 3 * HOUR, ['api']);
    await schedule('Quiet private work', 4 * HOUR, ['api'], 'private');
    const cancelled = await schedule('Called off', 5 * HOUR, ['api']);
    await cancelMaintenance(ctx, metaOf(actor), cancelled.number);

    const summary = await json('/api/v2/summary.json');
    expect(summary.scheduled_maintenances.map((m: any) => [m.name, m.status])).toEqual([
      ['Database upgrade', 'scheduled'],
      ['Network switch swap', 'scheduled'],
    ]);
    for (const m of summary.scheduled_maintenances) expectSpecShaped(m);
    expect(summary.scheduled_maintenances[0]).toMatchObject({ id: soon.maintenanceId, impact: 'maintenance', scheduled_for: '2026-03-02T04:00:00.000Z', scheduled_until: '2026-03-02T06:00:00.000Z' });
    expect(summary.status).toEqual({ indicator: 'none', description: 'All Systems Operational' });
    // The same document lists them with the Japanese reader's offset and words.
    const ja = await json('/api/v2/summary.json?lang=ja');
    expect(ja.scheduled_maintenances[0].scheduled_for).toBe('2026-03-02T13:00:00.000+09:00');
    expect(ja.scheduled_maintenances[0].incident_updates[0].body).toContain('3/2 13:00 (JST)');
    expect(later.maintenanceId).toBe(ja.scheduled_maintenances[1].id);
  });

  it('a change shows at once: the cache is invalidated by the maintenance write, not by its age', async () => {
    expect((await json('/api/v2/summary.json')).scheduled_maintenances).toEqual([]);
    expect(await text('/status')).not.toContain('Scheduled maintenance');
    await schedule('Database upgrade', 3 * HOUR, ['api']);
    // The clock does not move: only the write's notification can make the page re-read.
    await expect.poll(async () => (await json('/api/v2/summary.json')).scheduled_maintenances.length, { timeout: 5_000 }).toBe(1);
    await expect.poll(() => text('/status'), { timeout: 5_000 }).toContain('Database upgrade');
  });

  it('components read under_maintenance and the page says so while a window is in progress', async () => {
    const m = await schedule('Database upgrade', 3 * HOUR, ['api']);
    await start(m);
    await expect.poll(async () => (await json('/api/v2/components.json')).components.map((c: any) => [c.id, c.status]), { timeout: 5_000 }).toEqual([
      ['api', 'under_maintenance'],
      ['console', 'operational'],
    ]);
    const summary = await json('/api/v2/summary.json');
    expect(summary.components.find((c: any) => c.id === 'api').status).toBe('under_maintenance');
    expect(summary.scheduled_maintenances.map((x: any) => [x.id, x.status])).toEqual([[m.maintenanceId, 'in_progress']]);
    expect(await json('/api/v2/status.json')).toMatchObject({ status: { indicator: 'maintenance', description: 'Service Under Maintenance' } });
    expect((await json('/api/v2/status.json?lang=ja')).status.description).toBe('メンテナンスを実施しています');

    const page = await text('/status?lang=ja');
    expect(page).toContain('実施中のメンテナンス');
    expect(page).toContain('メンテナンス中');
    expect(page).toContain('実施予定: <time datetime="2026-03-02T04:00:00.000Z">2026/3/2 13:00 (JST)</time> – <time datetime="2026-03-02T06:00:00.000Z">2026/3/2 15:00 (JST)</time>');

    // Completed: off summary.json, components operational again, in the history.
    clock.set(new Date(m.start.getTime() + 3 * HOUR));
    await runMaintenanceJob(ctx, { maintenanceId: m.maintenanceId, edge: 'end' });
    await expect.poll(async () => (await json('/api/v2/summary.json')).scheduled_maintenances, { timeout: 5_000 }).toEqual([]);
    expect((await json('/api/v2/components.json')).components.every((c: any) => c.status === 'operational')).toBe(true);
    const history = await text('/status/history');
    expect(history).toContain('<h2 id="past-maintenance-heading">Past maintenance</h2>');
    expect(history).toContain(`<a href="/status/maintenance/${m.maintenanceId}?lang=en">Database upgrade</a>`);
    expect(history).toContain('Mar 2, 2026, 04:00 UTC');
  });

  it('an incident during a window shows its impact over the maintenance', async () => {
    const m = await schedule('Database upgrade', 3 * HOUR, ['api']);
    await start(m);
    const incident = await seedOpenIncident(database.db, { components: ['api'], impact: 'partial_outage', start: clock.now() });
    await expect.poll(async () => (await json('/api/v2/status.json')).status.indicator, { timeout: 5_000 }).toBe('major');
    expect((await json('/api/v2/components.json')).components.find((c: any) => c.id === 'api').status).toBe('partial_outage');
    // Not left open for the other tests' components.
    await changeStatus(incident.ctx, metaOf(incident.actor), incident.incidentId, { status: 'resolved' });
  });

  it('lists upcoming windows on /status and serves a page per maintenance in every language', async () => {
    const m = await schedule('Database upgrade', 3 * HOUR, ['api', 'console']);
    const en = await text('/status');
    expect(en).toContain('<h2 id="maintenance-upcoming-heading">Scheduled maintenance</h2>');
    expect(en).toContain(`<h3><a href="/status/maintenance/${m.maintenanceId}?lang=en">Database upgrade</a></h3>`);
    // The shortlink the JSON gives is the page.
    const shortlink = (await json('/api/v2/summary.json')).scheduled_maintenances[0].shortlink as string;
    expect(shortlink).toBe(`http://status.example.test/status/maintenance/${m.maintenanceId}`);
    const page = await text(`/status/maintenance/${m.maintenanceId}?lang=ja`);
    expect(page).toContain('<h1>Database upgrade</h1>');
    expect(page).toContain('影響範囲: REST API、コンソール');
    expect(page).toContain('メンテナンスを予定しています: Database upgrade、3/2 13:00 (JST) – 3/2 15:00 (JST)。');
    expect(page).toContain('Writes pause.');
    const enPage = await text(`/status/maintenance/${m.maintenanceId}`);
    expect(enPage).toContain('Scheduled maintenance: Database upgrade, Mar 2, 04:00 UTC – Mar 2, 06:00 UTC.');
    // Unknown, private and cancelled windows are not found.
    const hidden = await schedule('Quiet private work', 4 * HOUR, [], 'private');
    expect(await text(`/status/maintenance/${hidden.maintenanceId}`, 404)).toContain('This maintenance does not exist or is not public.');
    await cancelMaintenance(ctx, metaOf(actor), m.number);
    await expect.poll(async () => (await fetch(`${server.base}/status/maintenance/${m.maintenanceId}`)).status, { timeout: 5_000 }).toBe(404);
  });

  it('feeds carry each maintenance as an entry, per language, escaped once', async () => {
    const m = await schedule('Upgrade <EU> & "US"', 3 * HOUR, ['api']);
    await start(m);
    const parser = new RssParser();
    const atom = await parser.parseString(await text('/status/feed.atom?lang=ja'));
    const entry = atom.items.find((i) => i.link?.includes(`/status/maintenance/${m.maintenanceId}`))!;
    expect(entry.title).toBe('メンテナンス: Upgrade <EU> & "US"');
    expect(entry.id).toBe(`http://status.example.test/status/maintenance/${m.maintenanceId}#entry`);
    expect(entry.content).toContain('メンテナンス「Upgrade &lt;EU&gt; &amp; &quot;US&quot;」を実施中です。終了予定は 3/2 15:00 (JST) です。');
    const rss = await parser.parseString(await text('/status/feed.rss'));
    const item = rss.items.find((i) => i.link?.includes(`/status/maintenance/${m.maintenanceId}`))!;
    expect(item.title).toBe('Maintenance: Upgrade <EU> & "US"');
    expect(item.guid).toBe(`http://status.example.test/status/maintenance/${m.maintenanceId}#entry`);
    expect(item.content).toContain('is in progress; it is scheduled to end at Mar 2, 06:00 UTC.');
    expect(item['content:encoded']).toContain('<strong>Started</strong>');
  });
});
