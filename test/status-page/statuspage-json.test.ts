import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { syncComponents } from '../../src/app/components.ts';
import { draftPublicUpdate } from '../../src/app/draft-public-update.ts';
import { metaOf, MINUTE, person, declare, T0 } from '../app/helpers.ts';
import { createTestDatabase, describeDb, type TestDatabase } from '../helpers/database.ts';
import { SPECS_DIR } from '../helpers/specs.ts';
import { publish, seedOpenIncident, startStatusPage } from './helpers.ts';

// Atlassian's own description of the objects the public v2 API returns.
const spec = JSON.parse(readFileSync(join(SPECS_DIR, 'statuspage/statuspage-manage-api.openapi3.json'), 'utf8'));
const schemas = spec.components.schemas as Record<string, { properties: Record<string, { type?: string; enum?: string[]; format?: string }> }>;

/** A schema for one spec object, allowing null where Statuspage sends null (unset times, optional texts). */
function nullableSchema(name: string, only: string[]) {
  const properties: Record<string, unknown> = {};
  for (const key of only) {
    const p = schemas[name]!.properties[key];
    if (!p) throw new Error(`${name}.${key} is not in Statuspage's spec`);
    const type = p.type === 'Object' ? 'object' : p.type;
    properties[key] = { anyOf: [{ type: 'null' }, { type, ...(p.enum ? { enum: p.enum } : {}), ...(p.format ? { format: p.format } : {}) }] };
  }
  return { type: 'object', properties, required: only, additionalProperties: false };
}

const ajv = new Ajv({ allErrors: true, strict: false });
addFormats.default(ajv);

let database: TestDatabase;
let server: Awaited<ReturnType<typeof startStatusPage>>;
let seeded: Awaited<ReturnType<typeof seedOpenIncident>>;
let privateId: string;
let draftText: string;

beforeAll(async () => {
  database = await createTestDatabase();
  await syncComponents(
    database.db,
    { components: [{ id: 'api', name: 'REST API', names: { ja: 'REST API (日本)' } }, { id: 'console', name: 'Console', names: { ja: 'コンソール' } }, { id: 'sms', name: 'Programmable SMS', names: {} }], glossary: [] },
    T0,
  );
  seeded = await seedOpenIncident(database.db);
  // A private incident with a published-looking text and a public incident with only a draft: neither may appear.
  const actor = person('Kenji');
  privateId = (await declare(seeded.ctx, actor, { title: 'Secret database migration', visibility: 'private', components: ['sms'], impact: 'major_outage' })).incidentId;
  const { incidentId: draftOnly } = await declare(seeded.ctx, actor, { title: 'Only a draft so far', components: ['sms'] });
  draftText = 'Draft text nobody approved';
  await draftPublicUpdate(seeded.ctx, metaOf(actor), draftOnly, { text: draftText });
  server = await startStatusPage(database.db, seeded.clock);
});

afterAll(async () => {
  await server?.close();
  await database.drop();
});

async function get(path: string): Promise<any> {
  const res = await fetch(server.base + path);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
  return res.json();
}

const INCIDENT_FIELDS = ['id', 'name', 'status', 'created_at', 'updated_at', 'monitoring_at', 'resolved_at', 'impact', 'shortlink', 'page_id', 'incident_updates', 'components'];
const UPDATE_FIELDS = ['id', 'status', 'body', 'incident_id', 'created_at', 'updated_at', 'display_at', 'affected_components', 'deliver_notifications', 'custom_tweet', 'tweet_id'];
const COMPONENT_FIELDS = ['id', 'name', 'status', 'created_at', 'updated_at', 'position', 'description', 'showcase', 'start_date', 'group_id', 'page_id', 'group', 'only_show_if_degraded'];
const validateComponent = ajv.compile(nullableSchema('Component', COMPONENT_FIELDS));
const validateUpdate = ajv.compile(nullableSchema('IncidentUpdate', UPDATE_FIELDS));
// started_at is in the public API (not the manage API's Incident); checked separately.
const validateIncident = ajv.compile({ ...nullableSchema('Incident', INCIDENT_FIELDS), properties: { ...nullableSchema('Incident', INCIDENT_FIELDS).properties, started_at: { type: 'string', format: 'date-time' } }, required: [...INCIDENT_FIELDS, 'started_at'] });
const validatePage = ajv.compile({ ...nullableSchema('Page', ['id', 'name', 'url', 'time_zone', 'updated_at']) });
const STATUS = { type: 'object', properties: { indicator: { enum: ['none', 'minor', 'major', 'critical'] }, description: { type: 'string' } }, required: ['indicator', 'description'], additionalProperties: false };
const validateStatus = ajv.compile(STATUS);

function expectValid(validate: ReturnType<typeof ajv.compile>, value: unknown) {
  const ok = validate(value);
  expect(ok, JSON.stringify(validate.errors)).toBe(true);
}

function expectIncident(incident: any) {
  expectValid(validateIncident, incident);
  for (const u of incident.incident_updates) expectValid(validateUpdate, u);
  for (const c of incident.components) expectValid(validateComponent, c);
}

describeDb('Statuspage v2 JSON', () => {
  it('status.json has page and status with Statuspage field names and indicator vocabulary', async () => {
    const body = await get('/api/v2/status.json');
    expect(Object.keys(body).sort()).toEqual(['page', 'status']);
    expectValid(validatePage, body.page);
    expectValid(validateStatus, body.status);
    expect(body.status).toEqual({ indicator: 'critical', description: 'Major System Outage' });
    expect(body.page).toMatchObject({ url: 'http://status.example.test/status', time_zone: 'UTC' });
  });

  it('summary.json lists components, unresolved incidents and scheduled maintenances like Statuspage', async () => {
    const body = await get('/api/v2/summary.json');
    expect(Object.keys(body).sort()).toEqual(['components', 'incidents', 'page', 'scheduled_maintenances', 'status']);
    for (const c of body.components) expectValid(validateComponent, c);
    expect(body.components.map((c: any) => [c.id, c.name, c.status])).toEqual([
      ['api', 'REST API', 'major_outage'],
      ['console', 'Console', 'major_outage'],
      ['sms', 'Programmable SMS', 'operational'],
    ]);
    expect(body.incidents).toHaveLength(1);
    expectIncident(body.incidents[0]);
    expect(body.scheduled_maintenances).toEqual([]);
  });

  it('an incident carries its public updates newest first with their status at that moment', async () => {
    const { incidents } = await get('/api/v2/incidents.json');
    const incident = incidents.find((i: any) => i.id === seeded.incidentId);
    expectIncident(incident);
    expect(incident).toMatchObject({
      name: 'Elevated API error rates',
      status: 'identified',
      impact: 'critical',
      resolved_at: null,
      monitoring_at: null,
      created_at: T0.toISOString(),
      shortlink: `http://status.example.test/status/incidents/${seeded.incidentId}`,
    });
    expect(incident.incident_updates.map((u: any) => [u.status, u.body, u.display_at])).toEqual([
      ['identified', 'The cause has been identified: a failed database failover.', new Date(T0.getTime() + 25 * MINUTE).toISOString()],
      ['investigating', 'We are investigating elevated error rates on the API.', new Date(T0.getTime() + 5 * MINUTE).toISOString()],
    ]);
    expect(incident.incident_updates.every((u: any) => u.incident_id === seeded.incidentId)).toBe(true);
    expect(incident.components.map((c: any) => c.id)).toEqual(['api', 'console']);
  });

  it('?lang=ja gives the Japanese update texts, component names and the zone of Japanese readers', async () => {
    const body = await get('/api/v2/incidents/unresolved.json?lang=ja');
    expect(body.page.time_zone).toBe('Asia/Tokyo');
    const [incident] = body.incidents;
    expect(incident.incident_updates.map((u: any) => u.body)).toEqual([
      '原因を特定しました: データベースのフェイルオーバーの失敗です。',
      'API のエラー率上昇について調査しています。',
    ]);
    expect(incident.components.map((c: any) => c.name)).toEqual(['REST API (日本)', 'コンソール']);
    // Vocabularies stay Statuspage's, whatever the language.
    expect(incident.status).toBe('identified');
  });

  it('never shows private incidents or unpublished updates', async () => {
    for (const path of ['summary.json', 'incidents.json', 'incidents/unresolved.json', 'components.json', 'status.json']) {
      const text = JSON.stringify(await get(`/api/v2/${path}`));
      expect(text).not.toContain(privateId);
      expect(text).not.toContain('Secret database migration');
      expect(text).not.toContain(draftText);
      expect(text).not.toContain('Only a draft so far');
    }
    // The private incident's major outage on sms does not colour the component either.
    const { components } = await get('/api/v2/components.json');
    expect(components.find((c: any) => c.id === 'sms').status).toBe('operational');
  });

  it('a resolved incident leaves unresolved.json, keeps its resolved_at, and components return to operational', async () => {
    const { ctx, clock, actor } = seeded;
    const { incidentId } = await declare(ctx, actor, { title: 'Short SMS delay', components: ['sms'], impact: 'degraded_performance' });
    await publish(ctx, actor, incidentId, { en: 'SMS are delayed.' });
    clock.advance(10 * MINUTE);
    await publish(ctx, actor, incidentId, { en: 'Delays are over.' }, 'monitoring');
    clock.advance(10 * MINUTE);
    await publish(ctx, actor, incidentId, { en: 'Resolved.' }, 'resolved');
    const resolvedAt = clock.now().toISOString();
    server.page.cache.invalidate();
    const unresolved = await get('/api/v2/incidents/unresolved.json');
    expect(unresolved.incidents.map((i: any) => i.id)).not.toContain(incidentId);
    const all = await get('/api/v2/incidents.json');
    const incident = all.incidents.find((i: any) => i.id === incidentId);
    expectIncident(incident);
    expect(incident).toMatchObject({ status: 'resolved', impact: 'minor', resolved_at: resolvedAt, monitoring_at: new Date(clock.now().getTime() - 10 * MINUTE).toISOString() });
    const { components } = await get('/api/v2/components.json');
    expect(components.find((c: any) => c.id === 'sms').status).toBe('operational');
  });
});
