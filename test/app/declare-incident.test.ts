import { randomUUID } from 'node:crypto';
import { eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DEFAULT_IMPACT, declareIncident } from '../../src/app/declare-incident.ts';
import { isResponder } from '../../src/core/incident.ts';
import * as t from '../../src/db/schema.ts';
import { createTestDatabase, describeDb, type TestDatabase } from '../helpers/database.ts';
import { countEverything, countRows, declare, expectDomainError, makeContext, metaOf, MINUTE, newKey, person, snapshot, T0 } from './helpers.ts';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});

afterAll(async () => {
  await database.drop();
});

/** Component ids are global rows; a suffix keeps each test's own. */
const componentId = (name: string) => `${name}-${randomUUID().slice(0, 6)}`;

describeDb('declareIncident', () => {
  it('gives each new incident the next number', async () => {
    const { ctx } = makeContext(database.db);
    const aiko = person('Aiko');
    const first = await declare(ctx, aiko, { title: 'API errors' });
    const second = await declare(ctx, aiko, { title: 'Console slow' });
    expect(second.number).toBe(first.number + 1);
  });

  it('makes the declarer commander and responder', async () => {
    const { ctx } = makeContext(database.db);
    const aiko = person('Aiko');
    const { incidentId } = await declare(ctx, aiko);
    const incident = await snapshot(database.db, incidentId);
    expect(incident.roles).toEqual([{ role: 'commander', userId: aiko.id, userName: 'Aiko' }]);
    expect(incident.responderIds).toEqual([aiko.id]);
    expect(isResponder(incident, aiko.id, false)).toBe(true);
  });

  it('records the declared moment, the status investigating and a declared entry at now', async () => {
    const { ctx } = makeContext(database.db);
    const { incidentId } = await declare(ctx, person('Aiko'), { title: 'API errors' });
    const incident = await snapshot(database.db, incidentId);
    expect(incident.status).toBe('investigating');
    expect(incident.moments.declared).toEqual(T0);
    expect(incident.entries.map((e) => [e.kind, e.text, e.occurredAt])).toEqual([['declared', 'API errors', T0]]);
  });

  it('sets a back-dated started key moment and a moment entry that keeps when it was learned', async () => {
    const { ctx } = makeContext(database.db);
    const started = new Date(T0.getTime() - 25 * MINUTE);
    const { incidentId } = await declare(ctx, person('Aiko'), { started });
    const incident = await snapshot(database.db, incidentId);
    expect(incident.moments.started).toEqual(started);
    const moment = incident.entries.find((e) => e.kind === 'moment');
    expect(moment).toMatchObject({ occurredAt: started, recordedAt: T0, data: { moment: 'started', at: started.toISOString() } });
    // Ordered by when it happened: the back-dated start comes before the declaration.
    expect(incident.entries.map((e) => e.kind)).toEqual(['moment', 'declared']);
  });

  it('creates components on first use with the default impact', async () => {
    const { ctx } = makeContext(database.db);
    const ids = [componentId('api'), componentId('console')];
    const { incidentId } = await declare(ctx, person('Aiko'), { components: ids });
    const rows = await database.db.select().from(t.component).where(inArray(t.component.id, ids));
    expect(rows.map((r) => [r.id, r.name]).sort()).toEqual(ids.map((id) => [id, id]).sort());
    const incident = await snapshot(database.db, incidentId);
    expect(incident.components.map((c) => [c.id, c.impact, c.since])).toEqual(ids.sort().map((id) => [id, DEFAULT_IMPACT, T0]));
  });

  it('reuses an existing component instead of creating it again', async () => {
    const { ctx } = makeContext(database.db);
    const id = componentId('api');
    await declare(ctx, person('Aiko'), { components: [id] });
    const { incidentId } = await declare(ctx, person('Ben'), { components: [id], impact: 'major_outage' });
    expect(await database.db.select().from(t.component).where(eq(t.component.id, id))).toHaveLength(1);
    expect((await snapshot(database.db, incidentId)).components.map((c) => c.impact)).toEqual(['major_outage']);
  });

  it('rejects unknown components under a catalog and writes nothing', async () => {
    const { ctx } = makeContext(database.db, { strictComponents: true });
    const before = await countEverything(database.db);
    const error = await expectDomainError(
      declareIncident(ctx, metaOf(person('Aiko'), { idempotencyKey: newKey() }), { title: 'API errors', components: [componentId('nope')] }),
      'unknown_component',
    );
    expect(error.params.components).toMatch(/^nope-/);
    expect(await countEverything(database.db)).toEqual(before);
  });

  it('records one incident for the same idempotency key twice and replays the first result', async () => {
    const { ctx, clock } = makeContext(database.db);
    const meta = metaOf(person('Aiko'), { idempotencyKey: newKey() });
    const incidentsBefore = await countRows(database.db, t.incident);
    const first = await declareIncident(ctx, meta, { title: 'API errors' });
    clock.advance(MINUTE);
    const second = await declareIncident(ctx, meta, { title: 'API errors' });
    expect(first.replayed).toBe(false);
    expect(second).toEqual({ outcome: first.outcome, replayed: true });
    expect(await countRows(database.db, t.incident)).toBe(incidentsBefore + 1);
  });

  it('writes one audit event naming the actor and the incident', async () => {
    const { ctx } = makeContext(database.db);
    const aiko = person('Aiko');
    const { incidentId } = await declare(ctx, aiko);
    const events = await database.db.select().from(t.auditEvent).where(eq(t.auditEvent.incidentId, incidentId));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ action: 'declare', actorId: aiko.id, actorPlatform: 'console', at: T0 });
  });

  it('rejects a started time more than 5 minutes in the future and writes nothing', async () => {
    const { ctx } = makeContext(database.db);
    const before = await countEverything(database.db);
    await expectDomainError(
      declareIncident(ctx, metaOf(person('Aiko')), { title: 'API errors', started: new Date(T0.getTime() + 6 * MINUTE) }),
      'future_time',
    );
    expect(await countEverything(database.db)).toEqual(before);
  });

  it.each([
    ['an empty title', { title: '   ' }, 'missing_argument'],
    ['a title over 200 characters', { title: 'x'.repeat(201) }, 'text_too_long'],
    ['a summary over 3000 characters', { title: 'API errors', summary: 'x'.repeat(3001) }, 'text_too_long'],
  ] as const)('rejects %s and writes nothing', async (_name, input, code) => {
    const { ctx } = makeContext(database.db);
    const before = await countEverything(database.db);
    const error = await expectDomainError(declareIncident(ctx, metaOf(person('Aiko')), input), code);
    expect(error.verb).toBe('declare');
    expect(await countEverything(database.db)).toEqual(before);
  });
});
