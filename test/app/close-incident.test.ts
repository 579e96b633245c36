import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { changeStatus } from '../../src/app/change-status.ts';
import { closeIncident } from '../../src/app/close-incident.ts';
import { generatePostmortem } from '../../src/app/generate-postmortem.ts';
import * as t from '../../src/db/schema.ts';
import { createTestDatabase, describeDb, type TestDatabase } from '../helpers/database.ts';
import { countEntries, countEverything, countRows, declare, expectDomainError, makeContext, metaOf, MINUTE, newKey, person, snapshot, T0 } from './helpers.ts';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});

afterAll(async () => {
  await database.drop();
});

async function postmortems(incidentId: string) {
  return database.db.select().from(t.postmortem).where(eq(t.postmortem.incidentId, incidentId)).orderBy(asc(t.postmortem.lang));
}

describeDb('closeIncident', () => {
  it('resolves an open incident first, at the time of closing', async () => {
    const { ctx, clock } = makeContext(database.db);
    const aiko = person('Aiko');
    const { incidentId } = await declare(ctx, aiko);
    clock.advance(90 * MINUTE);
    const { outcome } = await closeIncident(ctx, metaOf(aiko), incidentId, {});
    expect(outcome.resolvedNow).toBe(true);
    const incident = await snapshot(database.db, incidentId);
    expect(incident.moments.resolved).toEqual(clock.now());
    expect(incident.entries.filter((e) => e.kind === 'status').map((e) => e.data.status)).toEqual(['resolved']);
  });

  it('keeps an earlier resolution time when the incident was already resolved', async () => {
    const { ctx, clock } = makeContext(database.db);
    const aiko = person('Aiko');
    const { incidentId } = await declare(ctx, aiko);
    clock.advance(30 * MINUTE);
    await changeStatus(ctx, metaOf(aiko), incidentId, { status: 'resolved' });
    const resolvedAt = clock.now();
    clock.advance(60 * MINUTE);
    const { outcome } = await closeIncident(ctx, metaOf(aiko), incidentId, {});
    expect(outcome.resolvedNow).toBe(false);
    expect((await snapshot(database.db, incidentId)).moments.resolved).toEqual(resolvedAt);
  });

  it('sets the closed moment and the status closed', async () => {
    const { ctx, clock } = makeContext(database.db);
    const aiko = person('Aiko');
    const { incidentId } = await declare(ctx, aiko);
    clock.advance(90 * MINUTE);
    await closeIncident(ctx, metaOf(aiko), incidentId, {});
    const incident = await snapshot(database.db, incidentId);
    expect(incident.status).toBe('closed');
    expect(incident.moments.closed).toEqual(clock.now());
    expect(await countEntries(database.db, incidentId, 'closed')).toBe(1);
  });

  it('writes a postmortem draft in English and Japanese', async () => {
    const { ctx, clock } = makeContext(database.db);
    const aiko = person('Aiko');
    const { incidentId, number } = await declare(ctx, aiko, { title: 'API errors in EU' });
    clock.advance(90 * MINUTE);
    const { outcome } = await closeIncident(ctx, metaOf(aiko), incidentId, {});
    expect(outcome.postmortemLangs).toEqual(['en', 'ja']);
    const rows = await postmortems(incidentId);
    expect(rows.map((r) => [r.lang, r.generatedAt])).toEqual([
      ['en', clock.now()],
      ['ja', clock.now()],
    ]);
    expect(rows[0]?.markdown).toContain(`# INC-${number} Postmortem: API errors in EU`);
    expect(rows[1]?.markdown).toContain(`# INC-${number} ポストモーテム: API errors in EU`);
  });

  it('drafts the final public text as an update at status resolved', async () => {
    const { ctx, clock } = makeContext(database.db);
    const aiko = person('Aiko');
    const { incidentId } = await declare(ctx, aiko);
    clock.advance(90 * MINUTE);
    const { outcome } = await closeIncident(ctx, metaOf(aiko), incidentId, { finalText: 'All systems operational.' });
    expect(outcome.update).toMatchObject({ state: 'draft', missingLangs: ['ja'] });
    const [update] = (await snapshot(database.db, incidentId)).publicUpdates;
    expect(update).toMatchObject({ status: 'resolved', body: 'All systems operational.', state: 'draft' });
  });

  it('refuses final public text on a private incident and leaves it open', async () => {
    const { ctx, clock } = makeContext(database.db);
    const aiko = person('Aiko');
    const { incidentId } = await declare(ctx, aiko, { visibility: 'private' });
    clock.advance(90 * MINUTE);
    const before = await countEverything(database.db);
    const error = await expectDomainError(
      closeIncident(ctx, metaOf(aiko), incidentId, { finalText: 'All systems operational.' }),
      'private_incident',
    );
    expect(error.verb).toBe('close');
    expect(await countEverything(database.db)).toEqual(before);
    const incident = await snapshot(database.db, incidentId);
    expect(incident.status).toBe('investigating');
    expect(incident.moments.closed).toBeUndefined();
    expect(await postmortems(incidentId)).toEqual([]);
  });

  it('closes a private incident without final text', async () => {
    const { ctx } = makeContext(database.db);
    const aiko = person('Aiko');
    const { incidentId } = await declare(ctx, aiko, { visibility: 'private' });
    await closeIncident(ctx, metaOf(aiko), incidentId, {});
    expect((await snapshot(database.db, incidentId)).status).toBe('closed');
  });

  it('rejects a second close with incident_closed', async () => {
    const { ctx } = makeContext(database.db);
    const aiko = person('Aiko');
    const { incidentId } = await declare(ctx, aiko);
    await closeIncident(ctx, metaOf(aiko), incidentId, {});
    await expectDomainError(closeIncident(ctx, metaOf(aiko), incidentId, {}), 'incident_closed');
  });

  it('records one close when retried with the same key', async () => {
    const { ctx, clock } = makeContext(database.db);
    const aiko = person('Aiko');
    const { incidentId } = await declare(ctx, aiko);
    const meta = metaOf(aiko, { idempotencyKey: newKey() });
    const first = await closeIncident(ctx, meta, incidentId, {});
    clock.advance(MINUTE);
    const second = await closeIncident(ctx, meta, incidentId, {});
    expect(second).toEqual({ outcome: first.outcome, replayed: true });
    expect(await countEntries(database.db, incidentId, 'closed')).toBe(1);
  });
});

describeDb('generatePostmortem', () => {
  it('regenerates every language at the current time', async () => {
    const { ctx, clock } = makeContext(database.db);
    const aiko = person('Aiko');
    const { incidentId } = await declare(ctx, aiko);
    clock.advance(90 * MINUTE);
    await closeIncident(ctx, metaOf(aiko), incidentId, {});
    clock.advance(24 * 60 * MINUTE);
    const { outcome } = await generatePostmortem(ctx, metaOf(aiko), incidentId);
    expect(outcome.langs).toEqual(['en', 'ja']);
    expect((await postmortems(incidentId)).map((r) => [r.lang, r.generatedAt])).toEqual([
      ['en', clock.now()],
      ['ja', clock.now()],
    ]);
  });

  it('replaces the stored draft rather than adding one', async () => {
    const { ctx, clock } = makeContext(database.db);
    const aiko = person('Aiko');
    const { incidentId } = await declare(ctx, aiko);
    await closeIncident(ctx, metaOf(aiko), incidentId, {});
    clock.advance(MINUTE);
    await generatePostmortem(ctx, metaOf(aiko), incidentId);
    await generatePostmortem(ctx, metaOf(aiko), incidentId);
    expect(await countRows(database.db, t.postmortem, incidentId)).toBe(2);
    expect(await countEntries(database.db, incidentId, 'postmortem')).toBe(2);
  });

  it('drafts one for an incident that is still open', async () => {
    const { ctx } = makeContext(database.db);
    const aiko = person('Aiko');
    const { incidentId } = await declare(ctx, aiko);
    await generatePostmortem(ctx, metaOf(aiko), incidentId);
    expect((await postmortems(incidentId)).map((r) => [r.lang, r.generatedAt])).toEqual([
      ['en', T0],
      ['ja', T0],
    ]);
  });
});
