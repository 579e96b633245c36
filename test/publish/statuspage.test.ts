import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createDeliveryWorker } from '../../src/outbox/delivery-worker.ts';
import { createSpacer, createStatuspageChannel } from '../../src/publish/statuspage.ts';
import * as t from '../../src/db/schema.ts';
import { makeContext } from '../app/helpers.ts';
import { createTestDatabase, describeDb, type TestDatabase } from '../helpers/database.ts';
import { deliveriesOf, publishSample } from './helpers.ts';

const spec = JSON.parse(readFileSync('/work/shared/specs/statuspage/statuspage-manage-api.openapi3.json', 'utf8'));
const ajv = new Ajv({ strict: false, allErrors: true });
(addFormats as unknown as (a: Ajv) => void)(ajv);
const validateCreate = ajv.compile(spec.components.schemas.postPagesPageIdIncidents);
const validatePatch = ajv.compile(spec.components.schemas.patchPagesPageIdIncidents);

/** A fake of the Statuspage manage API: checks auth and validates every body against the OpenAPI schema. */
const requests: { method: string; path: string; body: { incident: Record<string, unknown> }; valid: boolean; errors: unknown }[] = [];
const script: number[] = [];
const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    if (req.headers.authorization !== 'OAuth key-123') return void res.writeHead(401).end();
    const status = script.shift();
    if (status) return void res.writeHead(status, { 'retry-after': '2' }).end('{"error":"slow down"}');
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { incident: Record<string, unknown> };
    const validate = req.method === 'POST' ? validateCreate : validatePatch;
    const valid = validate(body);
    requests.push({ method: req.method!, path: req.url!, body, valid, errors: validate.errors });
    if (!valid) return void res.writeHead(422).end();
    res.writeHead(req.method === 'POST' ? 201 : 200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: 'sp-inc-1', status: body.incident.status }));
  });
});

let database: TestDatabase;
let apiUrl = '';
beforeAll(async () => {
  database = await createTestDatabase();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  await database.drop();
});

describeDb('Statuspage target', () => {
  it('creates the incident, then updates it, with valid bodies and mapped component statuses', async () => {
    const { ctx, clock } = makeContext(database.db);
    const now = new Date();
    await database.db.insert(t.component).values({ id: 'sp-api', name: 'REST API', statuspageId: '8kbf7d35c070', createdAt: now });
    const { incidentId } = await publishSample(ctx, { components: ['sp-api'] });
    const channel = createStatuspageChannel({ apiKey: 'key-123', pageId: 'page1', apiUrl, lang: 'en', db: database.db, clock, minIntervalMs: 0 });
    const worker = createDeliveryWorker({ db: database.db, clock, channels: { statuspage: channel }, random: () => 0 });
    script.push(429);
    await worker.drain();
    clock.advance(5 * 60_000);
    await worker.drain();
    const second = await publishSample(ctx, { incidentId, en: 'Fixed.' });
    await worker.drain();
    expect(requests.map((r) => [r.method, r.path, r.valid])).toEqual([
      ['POST', '/v1/pages/page1/incidents', true],
      ['PATCH', '/v1/pages/page1/incidents/sp-inc-1', true],
    ]);
    expect(requests[0]!.body.incident).toMatchObject({
      name: 'API errors in EU',
      status: 'investigating',
      component_ids: ['8kbf7d35c070'],
      components: { '8kbf7d35c070': 'major_outage' },
    });
    expect(requests[1]!.body.incident.body).toBe('Fixed.');
    const rows = (await deliveriesOf(database.db, second.updateId)).filter((d) => d.target === 'statuspage');
    expect(rows.map((d) => d.state)).toEqual(['delivered']);
  });

  it('spaces requests at least a second apart', async () => {
    let now = 0;
    const waits: number[] = [];
    const spaced = createSpacer(1_000, () => now, async (ms) => {
      waits.push(ms);
      now += ms;
    });
    await Promise.all([spaced(async () => 1), spaced(async () => 2), spaced(async () => 3)]);
    expect(waits).toEqual([1_000, 1_000]);
  });
});
