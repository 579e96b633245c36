import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { addNote } from '../../src/app/add-note.ts';
import { changeStatus } from '../../src/app/change-status.ts';
import { closeIncident } from '../../src/app/close-incident.ts';
import type { CommandMeta } from '../../src/app/command-runner.ts';
import type { AppContext } from '../../src/app/context.ts';
import { setKeyMoment } from '../../src/app/set-key-moment.ts';
import { MAX_TEXT_LENGTH } from '../../src/core/model.ts';
import * as t from '../../src/db/schema.ts';
import { createTestDatabase, describeDb, type TestDatabase } from '../helpers/database.ts';
import { countEntries, countEverything, declare, expectDomainError, makeContext, metaOf, MINUTE, newKey, person, snapshot, T0 } from './helpers.ts';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});

afterAll(async () => {
  await database.drop();
});

const minutesAfterT0 = (n: number) => new Date(T0.getTime() + n * MINUTE);

/** One write per use case under test, so rules shared by every write are checked on each. */
const writes: [name: string, kind: string, run: (ctx: AppContext, meta: CommandMeta, incidentId: string, at: Date) => Promise<unknown>][] = [
  ['addNote', 'note', (ctx, meta, id) => addNote(ctx, meta, id, { text: 'Paged the DB team' })],
  ['changeStatus', 'status', (ctx, meta, id) => changeStatus(ctx, meta, id, { status: 'identified' })],
  ['setKeyMoment', 'moment', (ctx, meta, id, at) => setKeyMoment(ctx, meta, id, { moment: 'detected', at })],
];

describeDb('addNote', () => {
  it('keeps a back-dated occurredAt apart from recordedAt', async () => {
    const { ctx, clock } = makeContext(database.db);
    const aiko = person('Aiko');
    const { incidentId } = await declare(ctx, aiko);
    clock.advance(30 * MINUTE);
    const at = minutesAfterT0(10);
    const { outcome } = await addNote(ctx, metaOf(aiko), incidentId, { text: 'DB failover started', at });
    expect(outcome).toMatchObject({ backdated: true, occurredAt: at.toISOString() });
    const note = (await snapshot(database.db, incidentId)).entries.find((e) => e.kind === 'note');
    expect(note).toMatchObject({ text: 'DB failover started', occurredAt: at, recordedAt: minutesAfterT0(30), sourceLang: 'en', authorId: aiko.id });
  });

  it('timestamps a note without `at` at now', async () => {
    const { ctx, clock } = makeContext(database.db);
    const aiko = person('Aiko');
    const { incidentId } = await declare(ctx, aiko);
    clock.advance(5 * MINUTE);
    const { outcome } = await addNote(ctx, metaOf(aiko), incidentId, { text: 'Paged the DB team' });
    expect(outcome).toMatchObject({ backdated: false, occurredAt: minutesAfterT0(5).toISOString() });
  });

  it('accepts exactly 3000 characters', async () => {
    const { ctx } = makeContext(database.db);
    const aiko = person('Aiko');
    const { incidentId } = await declare(ctx, aiko);
    await addNote(ctx, metaOf(aiko), incidentId, { text: 'x'.repeat(MAX_TEXT_LENGTH) });
    expect(await countEntries(database.db, incidentId, 'note')).toBe(1);
  });
});

describeDb('changeStatus', () => {
  it('moves the status and the cached column together', async () => {
    const { ctx, clock } = makeContext(database.db);
    const aiko = person('Aiko');
    const { incidentId } = await declare(ctx, aiko);
    clock.advance(MINUTE);
    const { outcome } = await changeStatus(ctx, metaOf(aiko), incidentId, { status: 'identified' });
    expect(outcome).toMatchObject({ from: 'investigating', to: 'identified', status: 'identified' });
    expect((await snapshot(database.db, incidentId)).status).toBe('identified');
  });

  it.each([
    ['without text', {}],
    ['with public text: no public update is drafted', { publicText: 'We are monitoring.' }],
  ])('refuses a back-dated change a newer status overtakes, writing nothing (%s)', async (_name, extra) => {
    const { ctx, clock } = makeContext(database.db);
    const aiko = person('Aiko');
    const { incidentId } = await declare(ctx, aiko);
    clock.set(minutesAfterT0(10));
    await changeStatus(ctx, metaOf(aiko), incidentId, { status: 'identified' });
    clock.set(minutesAfterT0(15));
    const before = await countEverything(database.db);
    // Someone remembers that monitoring began at +5, before the +10 change to identified.
    const error = await expectDomainError(changeStatus(ctx, metaOf(aiko), incidentId, { status: 'monitoring', at: minutesAfterT0(5), ...extra }), 'status_overtaken');
    expect(error.params).toMatchObject({ status: 'identified', laterAt: minutesAfterT0(10).toISOString() });
    expect(error.verb).toBe('status');
    expect(await countEverything(database.db)).toEqual(before);
    const [row] = await database.db.select({ status: t.incident.status }).from(t.incident).where(eq(t.incident.id, incidentId));
    expect(row?.status).toBe('identified');
  });

  it('rejects the current status with same_status and writes nothing', async () => {
    const { ctx } = makeContext(database.db);
    const aiko = person('Aiko');
    const { incidentId } = await declare(ctx, aiko);
    const before = await countEverything(database.db);
    const error = await expectDomainError(changeStatus(ctx, metaOf(aiko), incidentId, { status: 'investigating' }), 'same_status');
    expect(error.verb).toBe('status');
    expect(await countEverything(database.db)).toEqual(before);
  });

  it('sets the resolved key moment when resolving', async () => {
    const { ctx, clock } = makeContext(database.db);
    const aiko = person('Aiko');
    const { incidentId } = await declare(ctx, aiko);
    clock.set(minutesAfterT0(40));
    await changeStatus(ctx, metaOf(aiko), incidentId, { status: 'resolved', at: minutesAfterT0(35) });
    expect((await snapshot(database.db, incidentId)).moments.resolved).toEqual(minutesAfterT0(35));
  });

  it('clears the resolved key moment when a resolved incident is reopened', async () => {
    const { ctx, clock } = makeContext(database.db);
    const aiko = person('Aiko');
    const { incidentId } = await declare(ctx, aiko);
    clock.advance(MINUTE);
    await changeStatus(ctx, metaOf(aiko), incidentId, { status: 'resolved' });
    clock.advance(MINUTE);
    const { outcome } = await changeStatus(ctx, metaOf(aiko), incidentId, { status: 'investigating' });
    expect(outcome.status).toBe('investigating');
    const incident = await snapshot(database.db, incidentId);
    expect(incident.status).toBe('investigating');
    expect(incident.moments.resolved).toBeUndefined();
  });

  it('with public text also drafts a public update at the new status', async () => {
    const { ctx, clock } = makeContext(database.db);
    const aiko = person('Aiko');
    const { incidentId } = await declare(ctx, aiko);
    clock.advance(MINUTE);
    const { outcome } = await changeStatus(ctx, metaOf(aiko), incidentId, { status: 'identified', publicText: 'Failover in progress' });
    expect(outcome.update).toMatchObject({ state: 'draft', missingLangs: ['ja'] });
    const [update] = (await snapshot(database.db, incidentId)).publicUpdates;
    expect(update).toMatchObject({ status: 'identified', body: 'Failover in progress', state: 'draft' });
  });
});

describeDb('setKeyMoment', () => {
  it('sets a back-dated moment and appends a moment entry', async () => {
    const { ctx, clock } = makeContext(database.db);
    const aiko = person('Aiko');
    const { incidentId } = await declare(ctx, aiko);
    clock.advance(20 * MINUTE);
    const at = new Date(T0.getTime() - 5 * MINUTE);
    const { outcome } = await setKeyMoment(ctx, metaOf(aiko), incidentId, { moment: 'detected', at });
    expect(outcome).toMatchObject({ moment: 'detected', at: at.toISOString() });
    const incident = await snapshot(database.db, incidentId);
    expect(incident.moments.detected).toEqual(at);
    expect(incident.entries.find((e) => e.kind === 'moment')).toMatchObject({ occurredAt: at, recordedAt: minutesAfterT0(20), data: { moment: 'detected' } });
  });

  it('moves a moment to its latest value and keeps both changes in the timeline', async () => {
    const { ctx, clock } = makeContext(database.db);
    const aiko = person('Aiko');
    const { incidentId } = await declare(ctx, aiko);
    clock.advance(30 * MINUTE);
    await setKeyMoment(ctx, metaOf(aiko), incidentId, { moment: 'mitigated', at: minutesAfterT0(20) });
    await setKeyMoment(ctx, metaOf(aiko), incidentId, { moment: 'mitigated', at: minutesAfterT0(25) });
    expect((await snapshot(database.db, incidentId)).moments.mitigated).toEqual(minutesAfterT0(25));
    expect(await countEntries(database.db, incidentId, 'moment')).toBe(2);
  });

  it('rejects a moment more than 5 minutes in the future and writes nothing', async () => {
    const { ctx } = makeContext(database.db);
    const aiko = person('Aiko');
    const { incidentId } = await declare(ctx, aiko);
    const before = await countEverything(database.db);
    await expectDomainError(setKeyMoment(ctx, metaOf(aiko), incidentId, { moment: 'mitigated', at: minutesAfterT0(6) }), 'future_time');
    expect(await countEverything(database.db)).toEqual(before);
  });

  it('reads a moment within the clock-skew tolerance as now', async () => {
    const { ctx } = makeContext(database.db);
    const aiko = person('Aiko');
    const { incidentId } = await declare(ctx, aiko);
    const { outcome } = await setKeyMoment(ctx, metaOf(aiko), incidentId, { moment: 'mitigated', at: minutesAfterT0(1) });
    expect(outcome.at).toBe(ctx.clock.now().toISOString());
  });
});

describeDb('rules every timeline write follows', () => {
  it.each(writes)('%s on a closed incident fails with incident_closed and writes nothing', async (_name, _kind, run) => {
    const { ctx, clock } = makeContext(database.db);
    const aiko = person('Aiko');
    const { incidentId } = await declare(ctx, aiko);
    clock.advance(MINUTE);
    await closeIncident(ctx, metaOf(aiko), incidentId, {});
    clock.advance(MINUTE);
    const before = await countEverything(database.db);
    await expectDomainError(run(ctx, metaOf(aiko), incidentId, T0), 'incident_closed');
    expect(await countEverything(database.db)).toEqual(before);
  });

  it.each([
    ['a note', (ctx: AppContext, meta: CommandMeta, id: string) => addNote(ctx, meta, id, { text: 'x'.repeat(3001) })],
    [
      'a status change with public text',
      (ctx: AppContext, meta: CommandMeta, id: string) => changeStatus(ctx, meta, id, { status: 'identified', publicText: 'x'.repeat(3001) }),
    ],
  ])('rejects 3001 characters in %s with text_too_long and writes nothing', async (_name, run) => {
    const { ctx } = makeContext(database.db);
    const aiko = person('Aiko');
    const { incidentId } = await declare(ctx, aiko);
    const before = await countEverything(database.db);
    const error = await expectDomainError(run(ctx, metaOf(aiko), incidentId), 'text_too_long');
    expect(error.params).toEqual({ max: 3000 });
    expect(await countEverything(database.db)).toEqual(before);
  });

  it.each(writes)('%s retried with the same key records one entry', async (_name, kind, run) => {
    const { ctx, clock } = makeContext(database.db);
    const aiko = person('Aiko');
    const { incidentId } = await declare(ctx, aiko);
    clock.advance(MINUTE);
    const meta = metaOf(aiko, { idempotencyKey: newKey() });
    const first = (await run(ctx, meta, incidentId, T0)) as { outcome: unknown; replayed: boolean };
    clock.advance(MINUTE);
    const second = (await run(ctx, meta, incidentId, T0)) as { outcome: unknown; replayed: boolean };
    expect(first.replayed).toBe(false);
    expect(second).toEqual({ outcome: first.outcome, replayed: true });
    expect(await countEntries(database.db, incidentId, kind)).toBe(1);
  });

  it('answers a key reused for a different command with conflict', async () => {
    const { ctx } = makeContext(database.db);
    const aiko = person('Aiko');
    const { incidentId } = await declare(ctx, aiko);
    const meta = metaOf(aiko, { idempotencyKey: newKey() });
    await addNote(ctx, meta, incidentId, { text: 'Paged the DB team' });
    await expectDomainError(changeStatus(ctx, meta, incidentId, { status: 'identified' }), 'conflict');
    expect(await countEntries(database.db, incidentId, 'status')).toBe(0);
  });
});
