import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { eq } from 'drizzle-orm';
import ical, { type VEvent } from 'node-ical';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Statuspage } from 'statuspage.io';
import { MAINTENANCE_JOB, runMaintenanceJob, scheduleMaintenance, setMaintenanceStatus, updateMaintenance, cancelMaintenance } from '../../src/app/maintenance.ts';
import { parseMaintenance, resolveFutureTime } from '../../src/core/maintenance.ts';
import * as t from '../../src/db/schema.ts';
import { createHttpServer } from '../../src/http.ts';
import { createLogger } from '../../src/logger.ts';
import { createMetrics } from '../../src/metrics.ts';
import { createJobRunner } from '../../src/outbox/job-runner.ts';
import { registerMaintenanceRoutes } from '../../src/status-page/maintenance-routes.ts';
import { createStatusPage } from '../../src/status-page/routes.ts';
import { renderMaintenanceNotice } from '../../src/status-page/maintenance.ts';
import { expectDomainError, makeContext, metaOf, MINUTE, person, testI18n } from '../app/helpers.ts';
import { createTestDatabase, describeDb, type TestDatabase } from '../helpers/database.ts';
import { SPECS_DIR } from '../helpers/specs.ts';

const NOW = new Date('2026-03-02T01:00:00Z'); // 10:00 in Tokyo
const TOKYO = { now: NOW, timeZone: 'Asia/Tokyo' };
const HOUR = 60 * MINUTE;

describe('maintenance sub-syntax', () => {
  it.each([
    ['22:00', '2026-03-02T13:00:00.000Z'],
    ['9:00', '2026-03-03T00:00:00.000Z'], // already past today in Tokyo: tomorrow
    ['3/1 9:00', '2027-03-01T00:00:00.000Z'], // a date already past: next year
    ['2026-03-05T02:00', '2026-03-04T17:00:00.000Z'],
    ['2026-03-05T02:00Z', '2026-03-05T02:00:00.000Z'],
  ])('reads --start %s in the typer zone as %s', (input, expected) => {
    expect(resolveFutureTime(input, TOKYO).toISOString()).toBe(expected);
  });

  it('schedules with title, window, components and description', () => {
    const c = parseMaintenance('DB upgrade --start 22:00 --end 2h --components api, console --description Short downtime expected', TOKYO);
    expect(c).toEqual({
      verb: 'maintenance', action: 'schedule', title: 'DB upgrade', visibility: 'public',
      start: new Date('2026-03-02T13:00:00Z'), end: new Date('2026-03-02T15:00:00Z'),
      components: ['api', 'console'], description: 'Short downtime expected',
    });
  });

  it('reads an end clock after the start, across midnight', () => {
    const c = parseMaintenance('x --start 23:00 --end 1:00', TOKYO);
    expect(c).toMatchObject({ start: new Date('2026-03-02T14:00:00Z'), end: new Date('2026-03-02T16:00:00Z') });
  });

  it.each([
    ['list', { action: 'list' }],
    ['一覧', { action: 'list' }],
    ['MNT-3 cancel', { action: 'cancel', number: 3 }],
    ['mnt-3 中止', { action: 'cancel', number: 3 }],
    ['MNT-3 status verifying', { action: 'status', number: 3, status: 'verifying' }],
    ['MNT-3 状態 完了', { action: 'status', number: 3, status: 'completed' }],
    ['MNT-3 --end 2h', { action: 'update', number: 3, end: new Date(NOW.getTime() + 2 * HOUR) }],
  ])('parses %s', (input, expected) => {
    expect(parseMaintenance(input, TOKYO)).toEqual({ verb: 'maintenance', ...expected });
  });

  it.each([
    ['DB --start 22:00', 'missing_argument'],
    ['--start 22:00 --end 23:00', 'missing_argument'],
    ['DB --start 22:00 --end 21:00x', 'bad_time'],
    ['DB --start 2026-03-05T02:00 --end 2026-03-05T01:00', 'bad_window'],
    ['DB --start 22:00 --end 1h --sev 2', 'bad_option'],
    ['MNT-3 status resolved', 'bad_maintenance_status'],
  ])('refuses %s with %s', (input, code) => {
    expect(() => parseMaintenance(input, TOKYO)).toThrow(expect.objectContaining({ code }));
  });
});

const spec = JSON.parse(readFileSync(join(SPECS_DIR, 'statuspage/statuspage-manage-api.openapi3.json'), 'utf8'));
const incidentProps = spec.components.schemas.Incident.properties as Record<string, { type?: string; enum?: string[] }>;

describeDb('scheduled maintenance', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database.drop();
  });

  async function setUp(settings = {}) {
    const { ctx, clock } = makeContext(database.db, settings, NOW);
    const actor = { ...person('Aiko', 'ja'), timeZone: 'Asia/Tokyo' };
    const start = new Date(NOW.getTime() + 3 * HOUR);
    const { outcome } = await scheduleMaintenance(ctx, metaOf(actor), {
      title: 'Database upgrade', start, end: new Date(start.getTime() + 2 * HOUR), components: ['api'], visibility: 'public', description: 'Writes pause.',
    });
    const runner = () => createJobRunner({ db: database.db, clock, logger: createLogger({ level: 'silent' }) });
    const status = async () => (await database.db.select().from(t.maintenance).where(eq(t.maintenance.id, outcome.maintenanceId)))[0]!;
    const notices = async () =>
      (await database.db.select().from(t.maintenanceUpdate).where(eq(t.maintenanceUpdate.maintenanceId, outcome.maintenanceId)).orderBy(t.maintenanceUpdate.seq)).map((n) => n.kind);
    return { ctx, clock, actor, outcome, start, runner, status, notices };
  }

  it('reminds, starts and completes by itself as the clock passes, each once', async () => {
    const s = await setUp({ maintenanceReminderMinutes: 60 });
    const jobs = s.runner();
    jobs.register(MAINTENANCE_JOB, (p) => runMaintenanceJob(s.ctx, p));
    await jobs.drain();
    expect((await s.status()).status).toBe('scheduled');
    s.clock.set(new Date(s.start.getTime() - 59 * MINUTE));
    await jobs.drain();
    expect(await s.notices()).toEqual(['scheduled', 'reminder']);
    s.clock.set(s.start);
    await jobs.drain();
    expect((await s.status()).status).toBe('in_progress');
    // A second run of the same edge (another process, a retry) records nothing more.
    await runMaintenanceJob(s.ctx, { maintenanceId: s.outcome.maintenanceId, edge: 'start' });
    s.clock.advance(2 * HOUR);
    await jobs.drain();
    expect((await s.status()).status).toBe('completed');
    expect(await s.notices()).toEqual(['scheduled', 'reminder', 'started', 'completed']);
  });

  it('survives a restart: a new runner picks up the timers the first one left', async () => {
    const s = await setUp();
    const first = s.runner();
    first.register(MAINTENANCE_JOB, (p) => runMaintenanceJob(s.ctx, p));
    await first.drain();
    await first.stop();
    // The process is gone; time passes past the whole window; a new process starts.
    s.clock.advance(6 * HOUR);
    const second = s.runner();
    second.register(MAINTENANCE_JOB, (p) => runMaintenanceJob(s.ctx, p));
    await second.drain();
    expect((await s.status()).status).toBe('completed');
    // It still starts before it completes; a reminder for a window already over is not sent.
    expect(await s.notices()).toEqual(['scheduled', 'started', 'completed']);
  });

  it('moves with the window, and a responder may move it ahead of the clock', async () => {
    const s = await setUp();
    const jobs = s.runner();
    jobs.register(MAINTENANCE_JOB, (p) => runMaintenanceJob(s.ctx, p));
    const later = new Date(s.start.getTime() + 24 * HOUR);
    await updateMaintenance(s.ctx, metaOf(s.actor), { number: s.outcome.number, start: later, end: new Date(later.getTime() + HOUR) });
    s.clock.set(new Date(s.start.getTime() + MINUTE));
    await jobs.drain();
    expect((await s.status()).status).toBe('scheduled');
    await setMaintenanceStatus(s.ctx, metaOf(s.actor), s.outcome.number, 'in_progress');
    await setMaintenanceStatus(s.ctx, metaOf(s.actor), s.outcome.number, 'verifying');
    await expectDomainError(setMaintenanceStatus(s.ctx, metaOf(s.actor), s.outcome.number, 'in_progress'), 'bad_transition');
    s.clock.set(new Date(later.getTime() + 2 * HOUR));
    await jobs.drain();
    expect((await s.status()).status).toBe('completed');
    expect(await s.notices()).toEqual(['scheduled', 'updated', 'started', 'verifying', 'completed']);
  });

  it('serves the Statuspage documents and an iCalendar the real clients read', async () => {
    const s = await setUp();
    const other = await scheduleMaintenance(s.ctx, metaOf(s.actor), {
      title: 'Cancelled one', start: new Date(NOW.getTime() + HOUR), end: new Date(NOW.getTime() + 2 * HOUR), components: [], visibility: 'public',
    });
    await cancelMaintenance(s.ctx, metaOf(s.actor), other.outcome.number);
    const deps = { db: database.db, i18n: testI18n(), languages: ['en', 'ja'], timeZones: { en: 'UTC', ja: 'Asia/Tokyo' }, publicUrl: 'http://status.example.test', now: () => s.clock.now() };
    // The JSON documents are the status page's (rendered once per change), the calendar its neighbour's.
    const page = createStatusPage({ ...deps, pollMs: 60_000 });
    await page.start();
    const server = createHttpServer({
      database: { ping: async () => {} }, logger: createLogger({ level: 'silent' }), metrics: createMetrics(),
      routes: (app) => {
        page.routes(app);
        registerMaintenanceRoutes(app, deps);
      },
    });
    const { port } = await server.listen(0, '127.0.0.1');
    const base = `http://127.0.0.1:${port}`;
    try {
      const upcoming: any = await (await fetch(`${base}/api/v2/scheduled-maintenances/upcoming.json`)).json();
      const mine = upcoming.scheduled_maintenances.find((m: { id: string }) => m.id === s.outcome.maintenanceId);
      expect(mine).toMatchObject({ name: 'Database upgrade', status: 'scheduled', impact: 'maintenance', scheduled_for: s.start.toISOString() });
      expect(upcoming.scheduled_maintenances.some((m: { name: string }) => m.name === 'Cancelled one')).toBe(false);
      // Every field is one Atlassian's spec describes for an incident, with its type and vocabulary.
      const ajv = new Ajv({ strict: false });
      addFormats.default(ajv);
      for (const [key, value] of Object.entries(mine)) {
        // `started_at` is in the public v2 documents but not in the manage API's Incident.
        if (key === 'started_at') continue;
        const p = incidentProps[key];
        expect(p, key).toBeDefined();
        if (value === null) continue;
        const schema = { type: p!.type === 'Object' ? 'object' : p!.type, ...(p!.enum ? { enum: p!.enum } : {}) };
        expect(ajv.validate(schema, value), `${key}: ${ajv.errorsText()}`).toBe(true);
      }
      expect(mine.components[0]).toMatchObject({ id: 'api', status: 'operational' });

      // The official client (its getUpcoming; its getActive and getAll ask the same URL).
      const client = new Statuspage('unused');
      client.setApiUrl(base);
      const viaClient = await client.api.scheduledMaintenances.getUpcoming();
      expect(viaClient.scheduled_maintenances.map((m) => m.id)).toContain(s.outcome.maintenanceId);

      s.clock.set(new Date(s.start.getTime() + MINUTE));
      await runMaintenanceJob(s.ctx, { maintenanceId: s.outcome.maintenanceId, edge: 'start' });
      // The start's notice drops the cached documents (LISTEN) at commit.
      const running = await vi.waitFor(async () => {
        const active: any = await (await fetch(`${base}/api/v2/scheduled-maintenances/active.json`)).json();
        const found = active.scheduled_maintenances.find((m: { id: string }) => m.id === s.outcome.maintenanceId);
        if (!found) throw new Error('not active yet');
        return found;
      });
      expect(running.status).toBe('in_progress');
      expect(running.components[0].status).toBe('under_maintenance');
      expect(running.incident_updates.map((u: { status: string }) => u.status)).toEqual(['in_progress', 'scheduled']);
      const all: any = await (await fetch(`${base}/api/v2/scheduled-maintenances.json?lang=ja`)).json();
      expect(all.scheduled_maintenances.find((m: { id: string }) => m.id === s.outcome.maintenanceId).incident_updates.at(-1).body).toContain('メンテナンスを予定しています');

      const ics = await fetch(`${base}/status/maintenance.ics?lang=ja`);
      expect(ics.headers.get('content-type')).toContain('text/calendar');
      const events = Object.values(ical.sync.parseICS(await ics.text())).filter((e) => e?.type === 'VEVENT') as VEvent[];
      const event = events.find((e) => e.uid === `maintenance-${s.outcome.maintenanceId}@status.example.test`)!;
      expect(event.summary).toBe('Database upgrade');
      expect(event.start.toISOString()).toBe(s.start.toISOString());
      expect(event.end?.toISOString()).toBe(new Date(s.start.getTime() + 2 * HOUR).toISOString());
      expect(event.description).toContain('Writes pause.');
      expect(events.some((e) => e.summary === 'Cancelled one')).toBe(false);
    } finally {
      await server.close();
      await page.stop();
    }
  });
});

describe('maintenance notices', () => {
  const m = { title: 'DB upgrade' };
  const notice = { kind: 'scheduled' as const, scheduledFor: new Date('2026-03-02T13:00:00Z'), scheduledUntil: new Date('2026-03-02T15:00:00Z'), note: null };
  it.each([
    ['en', 'UTC', /Scheduled maintenance: DB upgrade, .*13:00.*15:00/],
    ['ja', 'Asia/Tokyo', /メンテナンスを予定しています: DB upgrade、.*22:00.*(0:00|00:00)/],
  ])('is written in %s with times in %s', (lang, zone, expected) => {
    expect(renderMaintenanceNotice(testI18n(), lang, zone, m, notice)).toMatch(expected);
  });
});
