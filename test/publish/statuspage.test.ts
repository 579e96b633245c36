import { readFileSync } from 'node:fs';
import { eq, sql } from 'drizzle-orm';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Database, openDatabase, rowsOf } from '../../src/db/client.ts';
import * as t from '../../src/db/schema.ts';
import { createDeliveryWorker } from '../../src/outbox/delivery-worker.ts';
import { loadPublishedUpdate } from '../../src/outbox/deliveries.ts';
import type { DeliveryItem } from '../../src/publish/channel.ts';
import { CLOCK_SKEW_MS, createSpacer, createStatuspageChannel, isIncidentCreatedBy, type StatuspageSettings } from '../../src/publish/statuspage.ts';
import { makeContext, T0 } from '../app/helpers.ts';
import { createTestDatabase, dbKind, describeDb, type TestDatabase } from '../helpers/database.ts';
import { type FakeStatuspage, type ManageRequest, startFakeStatuspage } from '../helpers/upstream/statuspage-server.ts';
import { deliveriesOf, publishSample } from './helpers.ts';

const spec = JSON.parse(readFileSync('/work/shared/specs/statuspage/statuspage-manage-api.openapi3.json', 'utf8'));
const ajv = new Ajv({ strict: false, allErrors: true });
(addFormats as unknown as (a: Ajv) => void)(ajv);
const validateCreate = ajv.compile(spec.components.schemas.postPagesPageIdIncidents);
const validatePatch = ajv.compile(spec.components.schemas.patchPagesPageIdIncidents);
const listParameters = (spec.paths['/pages/{page_id}/incidents'].get.parameters as { in: string; name: string }[]).filter((p) => p.in === 'query').map((p) => p.name);

const API_KEY = 'key-123';

/** What is wrong with a request against the manage API's OpenAPI description (empty: nothing). */
function problemsOf(r: ManageRequest): string[] {
  if (r.authorization !== `OAuth ${API_KEY}`) return ['authorization'];
  if (r.method === 'GET') {
    const unknown = Object.keys(r.query).filter((k) => !listParameters.includes(k));
    const limit = r.query.limit === undefined ? 100 : Number(r.query.limit);
    return [...unknown.map((k) => `unknown parameter ${k}`), ...(Number.isInteger(limit) && limit >= 1 && limit <= 100 ? [] : ['limit'])];
  }
  const validate = r.method === 'POST' ? validateCreate : validatePatch;
  return validate(r.body) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}

/** Method, path and answered status of each request, after checking every one against the spec. */
function callsOf(fake: FakeStatuspage): [string, string, number | undefined][] {
  expect(fake.manageRequests.flatMap(problemsOf)).toEqual([]);
  return fake.manageRequests.map((r) => [r.method, r.path, r.status]);
}

let database: TestDatabase;
const fakes: FakeStatuspage[] = [];
const extraDatabases: Database[] = [];
beforeAll(async () => {
  database = await createTestDatabase();
});
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((f) => f.close()));
  await Promise.all(extraDatabases.splice(0).map((d) => d.close()));
});
afterAll(async () => {
  await database.drop();
});

/** A fake Statuspage whose manage API timestamps follow `now`, closed after the test. */
async function startFake(now: () => Date): Promise<FakeStatuspage> {
  const fake = await startFakeStatuspage('Acme', { apiKey: API_KEY, now });
  fakes.push(fake);
  return fake;
}

function channelFor(fake: FakeStatuspage, clock: StatuspageSettings['clock'], db = database.db, minIntervalMs = 0) {
  return createStatuspageChannel({ apiKey: API_KEY, pageId: fake.pageId, apiUrl: fake.manageUrl, lang: 'en', db, dbKind, clock, minIntervalMs });
}

async function externalIdOf(incidentId: string): Promise<string | undefined> {
  const [row] = await database.db.select().from(t.externalIncident).where(eq(t.externalIncident.incidentId, incidentId));
  return row?.externalId;
}

/** The incidents the fake holds, newest first, as its public page lists them. */
async function incidentsAt(fake: FakeStatuspage): Promise<{ id: string; name: string; incident_updates: { body: string }[] }[]> {
  const page = (await (await fetch(fake.incidentsUrl)).json()) as { incidents: { id: string; name: string; incident_updates: { body: string }[] }[] };
  return page.incidents;
}

describeDb('Statuspage target', () => {
  it('creates the incident, then updates it, with valid bodies and mapped component statuses', async () => {
    const { ctx, clock } = makeContext(database.db);
    const fake = await startFake(() => clock.now());
    const now = new Date();
    await database.db.insert(t.component).values({ id: 'sp-api', name: 'REST API', statuspageId: '8kbf7d35c070', createdAt: now });
    const { incidentId } = await publishSample(ctx, { components: ['sp-api'] });
    const worker = createDeliveryWorker({ db: database.db, clock, channels: { statuspage: channelFor(fake, clock) }, random: () => 0 });
    fake.failNext(1, 429, '2');
    await worker.drain();
    clock.advance(5 * 60_000);
    await worker.drain();
    const second = await publishSample(ctx, { incidentId, en: 'Fixed.' });
    await worker.drain();
    const id = await externalIdOf(incidentId);
    const incidents = `/v1/pages/${fake.pageId}/incidents`;
    // The retry after the 429 first looks for an incident the refused request created (none).
    expect(callsOf(fake)).toEqual([
      ['POST', incidents, 429],
      ['GET', incidents, 200],
      ['POST', incidents, 201],
      ['PATCH', `${incidents}/${id}`, 200],
    ]);
    expect(fake.manageRequests[2]!.body).toMatchObject({
      incident: { name: 'API errors in EU', status: 'investigating', component_ids: ['8kbf7d35c070'], components: { '8kbf7d35c070': 'major_outage' } },
    });
    expect(fake.manageRequests[3]!.body).toMatchObject({ incident: { body: 'Fixed.' } });
    const rows = (await deliveriesOf(database.db, second.updateId)).filter((d) => d.target === 'statuspage');
    expect(rows.map((d) => d.state)).toEqual(['delivered']);
  });

  it('creates once on a first attempt, without searching, and PATCHes that incident after', async () => {
    const { ctx, clock } = makeContext(database.db);
    const fake = await startFake(() => clock.now());
    const { incidentId } = await publishSample(ctx, { title: 'Login failures' });
    const worker = createDeliveryWorker({ db: database.db, clock, channels: { statuspage: channelFor(fake, clock) }, random: () => 0 });
    await worker.drain();
    await publishSample(ctx, { incidentId, en: 'A fix is rolling out.' });
    await worker.drain();
    const id = await externalIdOf(incidentId);
    const incidents = `/v1/pages/${fake.pageId}/incidents`;
    expect(callsOf(fake)).toEqual([
      ['POST', incidents, 201],
      ['PATCH', `${incidents}/${id}`, 200],
    ]);
    expect((await incidentsAt(fake)).map((i) => [i.id, i.incident_updates.length])).toEqual([[id, 2]]);
  });

  it('adopts the incident a create made when its answer was lost, instead of creating a second one', async () => {
    const { ctx, clock } = makeContext(database.db);
    const fake = await startFake(() => clock.now());
    const { incidentId, updateId } = await publishSample(ctx, { title: 'Payments delayed' });
    const worker = createDeliveryWorker({ db: database.db, clock, channels: { statuspage: channelFor(fake, clock) }, random: () => 0 });
    fake.loseNextAnswer();
    await worker.drain();
    expect((await deliveriesOf(database.db, updateId)).find((d) => d.target === 'statuspage')?.state).toBe('failed');
    clock.advance(5 * 60_000);
    await worker.drain();
    await publishSample(ctx, { incidentId, en: 'Payments are flowing again.' });
    await worker.drain();

    const held = await incidentsAt(fake);
    expect(held.map((i) => i.name)).toEqual(['Payments delayed']);
    const created = held[0]!;
    expect(await externalIdOf(incidentId)).toBe(created.id);
    const incidents = `/v1/pages/${fake.pageId}/incidents`;
    expect(callsOf(fake)).toEqual([
      ['POST', incidents, undefined],
      ['GET', incidents, 200],
      ['PATCH', `${incidents}/${created.id}`, 200],
    ]);
    expect(fake.manageRequests[1]!.query.q).toBe('Payments delayed');
    expect(created.incident_updates.map((u) => u.body)).toEqual(['Payments are flowing again.', 'We are investigating elevated error rates.']);
  });

  it('does not adopt a look-alike incident that another incident of ours already owns', async () => {
    const { ctx, clock } = makeContext(database.db);
    const fake = await startFake(() => clock.now());
    const worker = createDeliveryWorker({ db: database.db, clock, channels: { statuspage: channelFor(fake, clock) }, random: () => 0 });
    const first = await publishSample(ctx, { title: 'Search is slow' });
    await worker.drain();
    // A minute later: the older look-alike is still within the clock skew, so it is a candidate.
    clock.advance(60_000);
    const second = await publishSample(ctx, { title: 'Search is slow' });
    fake.loseNextAnswer();
    await worker.drain();
    clock.advance(5 * 60_000);
    await worker.drain();

    const ids = (await incidentsAt(fake)).map((i) => i.id);
    expect(ids).toHaveLength(2);
    expect(new Set([await externalIdOf(first.incidentId), await externalIdOf(second.incidentId)])).toEqual(new Set(ids));
    expect(callsOf(fake).map(([method, , status]) => `${method} ${status}`)).toEqual(['POST 201', 'POST undefined', 'GET 200']);
  });

  it('spaces requests at least a second apart in one process', async () => {
    let now = 0;
    const waits: number[] = [];
    const spaced = createSpacer(1_000, () => now, async (ms) => {
      waits.push(ms);
      now += ms;
    });
    await Promise.all([spaced(async () => 1), spaced(async () => 2), spaced(async () => 3)]);
    expect(waits).toEqual([1_000, 1_000]);
  });

  // Two channels with a database client each, as two tsuiki processes sharing PostgreSQL have.
  it.skipIf(dbKind !== 'postgres')('spaces request starts a second apart across processes sharing PostgreSQL', async () => {
    const { ctx, clock } = makeContext(database.db);
    const fake = await startFake(() => clock.now());
    const [current] = rowsOf<{ name: string }>(await database.db.execute(sql`select current_database() as name`));
    const url = new URL(process.env.TEST_DATABASE_URL!);
    url.pathname = `/${current!.name}`;
    const processes = await Promise.all([0, 1].map(() => openDatabase({ url: url.toString(), migrate: false, maxConnections: 2 })));
    extraDatabases.push(...processes);
    const updates = await Promise.all(
      ['Queue backlog', 'Webhooks delayed', 'Exports failing', 'Dashboard errors'].map(async (title) => {
        const { updateId } = await publishSample(ctx, { title });
        return (await loadPublishedUpdate(database.db, updateId))!;
      }),
    );
    const item = (update: (typeof updates)[number]): DeliveryItem => ({ deliveryId: update.id, idempotencyKey: `update:${update.id}:statuspage:-`, target: 'statuspage', attempt: 1, update });

    // Each "process" delivers its two updates one after the other (one Statuspage lane), both at once.
    await Promise.all(
      processes.map(async (p, i) => {
        const channel = channelFor(fake, clock, p.db, 1_000);
        for (const update of updates.slice(i * 2, i * 2 + 2)) await channel.deliver(item(update));
      }),
    );

    const starts = fake.manageRequests.map((r) => r.arrivedAt).sort((a, b) => a - b);
    expect(starts).toHaveLength(4);
    // Starts, not ends, are a second apart; a few ms of loopback latency may separate a start from its arrival.
    const gaps = starts.slice(1).map((s, i) => s - starts[i]!);
    expect(gaps.filter((g) => g < 950)).toEqual([]);
  });
});

describe('Recognizing the incident a create made', () => {
  const sent = { name: 'API errors in EU', status: 'investigating', body: 'We are investigating.' };
  const publishedAt = T0;
  const at = (ms: number) => new Date(T0.getTime() + ms).toISOString();
  const listed = (over: Record<string, unknown> = {}, updates = [{ status: 'investigating', body: 'We are investigating.', created_at: at(1_000) }]) => ({
    id: 'p31zjtct2jer',
    name: 'API errors in EU',
    status: 'investigating',
    created_at: at(1_000),
    incident_updates: updates,
    ...over,
  });

  it.each([
    ['the same name, first status and text', listed(), true],
    ['text re-wrapped by Statuspage', listed({}, [{ status: 'investigating', body: ' We are\r\ninvestigating. ', created_at: at(1_000) }]), true],
    ['created within the clock skew before the update', listed({ created_at: at(-CLOCK_SKEW_MS) }), true],
    ['resolved since, its first update still ours', listed({ status: 'resolved' }, [
      { status: 'resolved', body: 'Fixed.', created_at: at(9_000) },
      { status: 'investigating', body: 'We are investigating.', created_at: at(1_000) },
    ]), true],
    ['another name', listed({ name: 'API errors in US' }), false],
    ['another first text', listed({}, [{ status: 'investigating', body: 'Looking into it.', created_at: at(1_000) }]), false],
    ['another first status', listed({}, [{ status: 'identified', body: 'We are investigating.', created_at: at(1_000) }]), false],
    ['our text only in a later update', listed({}, [
      { status: 'investigating', body: 'We are investigating.', created_at: at(9_000) },
      { status: 'investigating', body: 'Something else.', created_at: at(1_000) },
    ]), false],
    ['created before the update was published, beyond the skew', listed({ created_at: at(-CLOCK_SKEW_MS - 1) }), false],
    ['no creation time', listed({ created_at: undefined }), false],
    ['no id', listed({ id: undefined }), false],
  ])('%s', (_, incident, expected) => {
    expect(isIncidentCreatedBy(incident, sent, new Date(publishedAt.getTime() - CLOCK_SKEW_MS))).toBe(expected);
  });
});
