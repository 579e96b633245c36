import { afterAll, beforeAll, expect, it } from 'vitest';
import { addNote } from '../../src/app/add-note.ts';
import { changeStatus } from '../../src/app/change-status.ts';
import { closeIncident } from '../../src/app/close-incident.ts';
import { draftPublicUpdate } from '../../src/app/draft-public-update.ts';
import { reopenIncident } from '../../src/app/reopen-incident.ts';
import { setKeyMoment } from '../../src/app/set-key-moment.ts';
import { parseCommand } from '../../src/core/command-parser.ts';
import { loadStatusData } from '../../src/status-page/data.ts';
import { componentHistory } from '../../src/status-page/view.ts';
import { and, eq } from 'drizzle-orm';
import * as t from '../../src/db/schema.ts';
import { createTestDatabase, describeDb, type TestDatabase } from '../helpers/database.ts';
import { countEverything, declare, expectDomainError, makeContext, metaOf, MINUTE, person, snapshot } from './helpers.ts';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.drop();
});

/** The morning: declared at 05:09 UTC on Dec 7. */
const DECLARED = new Date('2026-12-07T05:09:00Z');
const utc = (iso: string) => new Date(`${iso}Z`);

async function morning() {
  const { ctx, clock } = makeContext(database.db, { teamTimeZone: 'UTC' }, DECLARED);
  const aiko = person('Aiko');
  const meta = metaOf(aiko, { inIncidentChannel: true });
  const { incidentId } = await declare(ctx, aiko, { components: ['api'] });
  return { ctx, clock, aiko, meta, incidentId };
}

/** A chat line as the dispatcher parses it, in the typer's zone. */
function typed(text: string, now: Date, zone = 'UTC') {
  return parseCommand(text, { now, timeZone: zone }).command;
}

describeDb('a record people can trust', () => {
  it('refuses `update at 05:59` said at 05:10 (yesterday, before the incident) and records nothing', async () => {
    const { ctx, clock, meta, incidentId } = await morning();
    clock.set(utc('2026-12-07T05:10:00'));
    const command = typed('update at 05:59 restarted the pool', clock.now());
    if (command.verb !== 'update') throw new Error('not an update');
    const before = await countEverything(database.db);
    const error = await expectDomainError(addNote(ctx, meta, incidentId, { text: command.text, at: command.at!, bareClock: true }), 'before_incident');
    expect(error.params).toMatchObject({ explicit: '12/6 05:59', meantAt: '2026-12-06T05:59:00.000Z', beganAt: DECLARED.toISOString() });
    expect(await countEverything(database.db)).toEqual(before);
  });

  it('takes the explicit `at 12/6 05:59` as meant', async () => {
    const { ctx, clock, meta, incidentId } = await morning();
    clock.set(utc('2026-12-07T05:10:00'));
    const command = typed('update at 12/6 05:59 earlier warning', clock.now());
    if (command.verb !== 'update') throw new Error('not an update');
    const { outcome } = await addNote(ctx, meta, incidentId, { text: command.text, at: command.at!, bareClock: command.bareClock ?? false });
    expect(outcome.occurredAt).toBe('2026-12-06T05:59:00.000Z');
  });

  it('refuses `status identified at 05:05` (before the 05:09 declare) with text, drafting no public update', async () => {
    const { ctx, clock, meta, incidentId } = await morning();
    clock.set(utc('2026-12-07T05:20:00'));
    const before = await countEverything(database.db);
    // 05:05 is the same day but before the declare's `investigating`: the later change would win.
    await expectDomainError(changeStatus(ctx, meta, incidentId, { status: 'identified', at: utc('2026-12-07T05:05:00'), publicText: 'Found it' }), 'status_overtaken');
    expect(await countEverything(database.db)).toEqual(before);
    expect((await snapshot(database.db, incidentId)).publicUpdates).toHaveLength(0);
  });

  it('reads a Tokyo user\'s `--started 14:05` in Tokyo, not in the team zone', async () => {
    const now = utc('2026-12-07T06:00:00');
    expect(typed('declare API down --started 14:05', now, 'Asia/Tokyo')).toMatchObject({ started: utc('2026-12-07T05:05:00') });
    expect(typed('declare API down --started 14:05', now, 'UTC')).toMatchObject({ started: utc('2026-12-06T14:05:00') });
  });

  it('moves the impact windows with a corrected started: the history keeps no phantom outage on the old day', async () => {
    const { ctx, clock } = makeContext(database.db, { teamTimeZone: 'UTC', publishApproval: 'off' }, DECLARED);
    const meta = metaOf(person('Ken'), { inIncidentChannel: true });
    // Started typed wrongly as yesterday's 05:00, then corrected to today's 05:00.
    const { incidentId } = await declare(ctx, meta.actor, { components: ['phantom-api'], started: utc('2026-12-06T05:00:00') });
    clock.set(utc('2026-12-07T05:15:00'));
    await setKeyMoment(ctx, meta, incidentId, { moment: 'started', at: utc('2026-12-07T05:00:00') });
    await draftPublicUpdate(ctx, meta, incidentId, { text: 'The API is down.' });
    const incident = await snapshot(database.db, incidentId);
    expect(incident.components.map((c) => c.since)).toEqual([utc('2026-12-07T05:00:00')]);
    const history = componentHistory(await loadStatusData(database.db, clock.now()), 'UTC').find((h) => h.component.id === 'phantom-api');
    const day = (date: string) => history?.days.find((d) => d.date === date);
    expect(day('2026-12-06')?.worst).toBe('operational');
    expect(Object.values(day('2026-12-07')?.impactMs ?? {})).toEqual([15 * MINUTE]);
    // The postmortem's impact table follows too: no row on the old day.
    clock.set(utc('2026-12-07T06:00:00'));
    await closeIncident(ctx, meta, incidentId, {});
    const [draft] = await database.db.select().from(t.postmortem).where(and(eq(t.postmortem.incidentId, incidentId), eq(t.postmortem.lang, 'en')));
    const impact = draft!.markdown.slice(draft!.markdown.indexOf('## Impact'), draft!.markdown.indexOf('## ', draft!.markdown.indexOf('## Impact') + 3));
    expect(impact).toContain('| phantom-api | Partial outage | Dec 7, 05:00 UTC |');
    expect(impact).not.toContain('Dec 6');
  });

  it('corrects when it was resolved with `status resolved at …`: the window ends there, history follows', async () => {
    const { ctx, clock } = makeContext(database.db, { teamTimeZone: 'UTC', publishApproval: 'off' }, DECLARED);
    const meta = metaOf(person('Mia'), { inIncidentChannel: true });
    const { incidentId } = await declare(ctx, meta.actor, { components: ['late-api'], started: utc('2026-12-07T05:00:00') });
    await draftPublicUpdate(ctx, meta, incidentId, { text: 'Login fails.' });
    clock.set(utc('2026-12-07T07:00:00'));
    await changeStatus(ctx, meta, incidentId, { status: 'resolved' });
    const before = await countEverything(database.db);
    await expectDomainError(changeStatus(ctx, meta, incidentId, { status: 'resolved', at: utc('2026-12-07T04:00:00') }), 'before_incident');
    expect(await countEverything(database.db)).toEqual(before);
    const { outcome } = await changeStatus(ctx, meta, incidentId, { status: 'resolved', at: utc('2026-12-07T05:30:00'), bareClock: true });
    expect(outcome).toMatchObject({ corrected: true, occurredAt: '2026-12-07T05:30:00.000Z' });
    const incident = await snapshot(database.db, incidentId);
    expect(incident.status).toBe('resolved');
    expect(incident.moments.resolved).toEqual(utc('2026-12-07T05:30:00'));
    const history = componentHistory(await loadStatusData(database.db, clock.now()), 'UTC').find((h) => h.component.id === 'late-api');
    expect(Object.values(history?.days.find((d) => d.date === '2026-12-07')?.impactMs ?? {})).toEqual([30 * MINUTE]);
  });

  it('accepts a bare time for started itself, which is how the beginning is corrected', async () => {
    const { ctx, clock, meta, incidentId } = await morning();
    clock.set(utc('2026-12-07T05:20:00'));
    const { outcome } = await setKeyMoment(ctx, meta, incidentId, { moment: 'started', at: utc('2026-12-07T04:50:00'), bareClock: true });
    expect(outcome.at).toBe('2026-12-07T04:50:00.000Z');
    expect((await snapshot(database.db, incidentId)).components[0]?.since).toEqual(utc('2026-12-07T04:50:00'));
  });

  it('refuses `mitigated 05:00` said at 05:20 when the incident began at 05:09', async () => {
    const { ctx, clock, meta, incidentId } = await morning();
    clock.set(utc('2026-12-07T05:20:00'));
    const error = await expectDomainError(setKeyMoment(ctx, meta, incidentId, { moment: 'mitigated', at: utc('2026-12-07T05:00:00'), bareClock: true }), 'before_incident');
    expect(error.params.explicit).toBe('12/7 05:00');
  });

  it('publishes a final word after close without reopening', async () => {
    const { ctx, clock, meta, incidentId } = await morning();
    clock.set(utc('2026-12-07T06:00:00'));
    await closeIncident(ctx, meta, incidentId, {});
    clock.set(utc('2026-12-07T07:00:00'));
    const { outcome } = await draftPublicUpdate(ctx, meta, incidentId, { text: 'Root cause: a bad deploy. Sorry.' });
    expect(outcome.status).toBe('resolved');
    expect((await snapshot(database.db, incidentId)).status).toBe('closed');
  });

  it.each([
    ['a resolved incident', 'resolved'],
    ['a closed incident', 'closed'],
  ] as const)('reopens %s: investigating again, resolution cleared, reason on the timeline', async (_name, state) => {
    const { ctx, clock, meta, incidentId } = await morning();
    clock.set(utc('2026-12-07T06:00:00'));
    if (state === 'resolved') await changeStatus(ctx, meta, incidentId, { status: 'resolved' });
    else await closeIncident(ctx, meta, incidentId, {});
    clock.set(utc('2026-12-07T06:30:00'));
    const { outcome } = await reopenIncident(ctx, meta, incidentId, { reason: 'errors are back' });
    expect(outcome).toMatchObject({ from: state });
    const incident = await snapshot(database.db, incidentId);
    expect(incident.status).toBe('investigating');
    expect(incident.moments.resolved).toBeUndefined();
    expect(incident.moments.closed).toBeUndefined();
    expect(incident.entries.at(-1)).toMatchObject({ kind: 'status', text: 'errors are back', data: { status: 'investigating', from: state } });
    // Open again: ordinary writes work.
    await changeStatus(ctx, meta, incidentId, { status: 'identified' });
  });

  it('refuses to reopen an open incident, writing nothing', async () => {
    const { ctx, meta, incidentId } = await morning();
    const before = await countEverything(database.db);
    const error = await expectDomainError(reopenIncident(ctx, meta, incidentId, {}), 'not_resolved');
    expect(error.verb).toBe('reopen');
    expect(await countEverything(database.db)).toEqual(before);
  });
});
