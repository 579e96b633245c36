import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { cancelMaintenance, MAINTENANCE_JOB, runMaintenanceJob, scheduleMaintenance, updateMaintenance } from '../../src/app/maintenance.ts';
import * as t from '../../src/db/schema.ts';
import { createLogger } from '../../src/logger.ts';
import { createJobRunner, type JobRunner } from '../../src/outbox/job-runner.ts';
import { registerMaintenanceNotices } from '../../src/publish/maintenance-notices.ts';
import { createStatuspageChannel } from '../../src/publish/statuspage.ts';
import { createWebhookChannel } from '../../src/publish/webhook.ts';
import { makeContext, metaOf, MINUTE, person, testI18n } from '../app/helpers.ts';
import { createTestDatabase, dbKind, describeDb, type TestDatabase } from '../helpers/database.ts';
import { SPECS_DIR } from '../helpers/specs.ts';
import { type FakeStatuspage, type ManageRequest, startFakeStatuspage } from '../helpers/upstream/statuspage-server.ts';

const NOW = new Date('2026-03-02T01:00:00Z');
const HOUR = 60 * MINUTE;
const API_KEY = 'key-mnt';

const spec = JSON.parse(readFileSync(join(SPECS_DIR, 'statuspage/statuspage-manage-api.openapi3.json'), 'utf8'));
const ajv = new Ajv({ strict: false, allErrors: true });
addFormats.default(ajv);
const validateCreate = ajv.compile(spec.components.schemas.postPagesPageIdIncidents);
const validatePatch = ajv.compile(spec.components.schemas.patchPagesPageIdIncidents);
const listParameters = (spec.paths['/pages/{page_id}/incidents'].get.parameters as { in: string; name: string }[]).filter((p) => p.in === 'query').map((p) => p.name);
// The spec's bodies allow any field; these are the ones its incident object names.
const createFields = Object.keys(spec.components.schemas.postPagesPageIdIncidents.properties.incident.properties);
const patchFields = Object.keys(spec.components.schemas.patchPagesPageIdIncidents.properties.incident.properties);

/** What is wrong with a request against the manage API's OpenAPI description (empty: nothing). */
function problemsOf(r: ManageRequest): string[] {
  if (r.authorization !== `OAuth ${API_KEY}`) return ['authorization'];
  if (r.method === 'GET') return Object.keys(r.query).filter((k) => !listParameters.includes(k)).map((k) => `unknown parameter ${k}`);
  const [validate, fields] = r.method === 'POST' ? [validateCreate, createFields] : [validatePatch, patchFields];
  const unknown = Object.keys((r.body as { incident: object }).incident).filter((k) => !fields.includes(k)).map((k) => `unknown field ${k}`);
  return [...unknown, ...(validate(r.body) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`))];
}

function callsOf(fake: FakeStatuspage): [string, string, number | undefined][] {
  expect(fake.manageRequests.flatMap(problemsOf)).toEqual([]);
  return fake.manageRequests.map((r) => [r.method, r.path, r.status]);
}

let database: TestDatabase;
const fakes: FakeStatuspage[] = [];
const runners: JobRunner[] = [];
beforeAll(async () => {
  database = await createTestDatabase();
  await database.db.insert(t.component).values({ id: 'sp-db', name: 'Database', statuspageId: '8kbf7d35c070', createdAt: NOW });
});
afterEach(async () => {
  await Promise.all(runners.splice(0).map((r) => r.stop()));
  await Promise.all(fakes.splice(0).map((f) => f.close()));
});
afterAll(() => database.drop());

async function setUp() {
  const { ctx, clock } = makeContext(database.db, { maintenanceReminderMinutes: 60 }, NOW);
  const fake = await startFakeStatuspage('Acme', { apiKey: API_KEY, now: () => clock.now() });
  fakes.push(fake);
  const channel = createStatuspageChannel({ apiKey: API_KEY, pageId: fake.pageId, apiUrl: fake.manageUrl, lang: 'en', db: database.db, dbKind, clock, minIntervalMs: 0 });
  const runner = () => {
    const jobs = createJobRunner({ db: database.db, clock, logger: createLogger({ level: 'silent' }), random: () => 0 });
    jobs.register(MAINTENANCE_JOB, (p) => runMaintenanceJob(ctx, p));
    registerMaintenanceNotices(jobs, {
      db: database.db,
      clock,
      i18n: testI18n(),
      publicUrl: 'https://status.example.com',
      webhook: createWebhookChannel({ clock, publicUrl: 'https://status.example.com' }),
      statuspage: { channel, lang: 'en', timeZone: 'UTC' },
    });
    runners.push(jobs);
    return jobs;
  };
  const actor = person('Aiko');
  const start = new Date(NOW.getTime() + 3 * HOUR);
  const { outcome } = await scheduleMaintenance(ctx, metaOf(actor), {
    title: `Database upgrade ${Math.random().toString(36).slice(2, 8)}`,
    start,
    end: new Date(start.getTime() + 2 * HOUR),
    components: ['sp-db'],
    visibility: 'public',
  });
  const externalId = async () =>
    (await database.db.select().from(t.maintenanceExternal).where(eq(t.maintenanceExternal.maintenanceId, outcome.maintenanceId)))[0]?.externalId;
  return { ctx, clock, fake, runner, actor, start, outcome, externalId };
}

describeDb('maintenance to Atlassian Statuspage', () => {
  it('creates a scheduled incident, then updates it as the window starts and completes', async () => {
    const s = await setUp();
    const jobs = s.runner();
    await jobs.drain();
    // The reminder is Statuspage's own (scheduled_remind_prior): nothing is sent for ours.
    s.clock.set(new Date(s.start.getTime() - 30 * MINUTE));
    await jobs.drain();
    s.clock.set(s.start);
    await jobs.drain();
    s.clock.advance(2 * HOUR);
    await jobs.drain();
    const id = await s.externalId();
    const incidents = `/v1/pages/${s.fake.pageId}/incidents`;
    expect(callsOf(s.fake)).toEqual([
      ['POST', incidents, 201],
      ['PATCH', `${incidents}/${id}`, 200],
      ['PATCH', `${incidents}/${id}`, 200],
    ]);
    const [create, started, completed] = s.fake.manageRequests.map((r) => (r.body as { incident: Record<string, unknown> }).incident);
    expect(create).toMatchObject({
      name: s.outcome.title,
      status: 'scheduled',
      impact_override: 'maintenance',
      scheduled_for: '2026-03-02T04:00:00.000Z',
      scheduled_until: '2026-03-02T06:00:00.000Z',
      scheduled_remind_prior: true,
      scheduled_auto_in_progress: false,
      scheduled_auto_completed: false,
      component_ids: ['8kbf7d35c070'],
    });
    expect(create!.body).toContain('Mar 2, 04:00 UTC');
    expect(started).toMatchObject({ status: 'in_progress', components: { '8kbf7d35c070': 'under_maintenance' } });
    expect(completed).toMatchObject({ status: 'completed', components: { '8kbf7d35c070': 'operational' } });
    expect(create).not.toHaveProperty('components');
  });

  it('moves the window there and completes it when cancelled here', async () => {
    const s = await setUp();
    const jobs = s.runner();
    await jobs.drain();
    const later = new Date(s.start.getTime() + 24 * HOUR);
    await updateMaintenance(s.ctx, metaOf(s.actor), { number: s.outcome.number, start: later, end: new Date(later.getTime() + HOUR) });
    await cancelMaintenance(s.ctx, metaOf(s.actor), s.outcome.number);
    await jobs.drain();
    // The later notice's job waited for the earlier one; its retry is due shortly after.
    s.clock.advance(MINUTE);
    await jobs.drain();
    const bodies = s.fake.manageRequests.map((r) => (r.body as { incident: Record<string, unknown> }).incident);
    expect(callsOf(s.fake).map(([m]) => m)).toEqual(['POST', 'PATCH', 'PATCH']);
    // In order, though both notices were queued before either ran.
    expect(bodies[1]).toMatchObject({ status: 'scheduled', scheduled_for: later.toISOString() });
    expect(bodies[1]!.body).toContain('rescheduled');
    expect(bodies[2]).toMatchObject({ status: 'completed' });
    expect(bodies[2]!.body).toContain('was cancelled');
  });

  it('adopts the incident a create made when its answer was lost, instead of creating a second', async () => {
    const s = await setUp();
    s.fake.loseNextAnswer();
    const jobs = s.runner();
    await jobs.drain();
    s.clock.advance(10 * MINUTE);
    await jobs.drain();
    const calls = callsOf(s.fake);
    expect(calls.map(([m]) => m)).toEqual(['POST', 'GET']);
    const created = s.fake.manageRequests.filter((r) => r.method === 'POST');
    expect(created).toHaveLength(1);
    expect(await s.externalId()).toBeDefined();
  });

  it('sends nothing for a private maintenance', async () => {
    const s = await setUp();
    const jobs = s.runner();
    await jobs.drain();
    const before = s.fake.manageRequests.length;
    await scheduleMaintenance(s.ctx, metaOf(s.actor), { title: 'Quiet', start: s.start, end: new Date(s.start.getTime() + HOUR), components: [], visibility: 'private' });
    await jobs.drain();
    expect(s.fake.manageRequests.length).toBe(before);
  });
});
