import { afterAll, beforeAll, expect, it } from 'vitest';
import { addNote } from '../../src/app/add-note.ts';
import { assignRole } from '../../src/app/assign-role.ts';
import { changeStatus } from '../../src/app/change-status.ts';
import { closeIncident } from '../../src/app/close-incident.ts';
import type { CommandMeta } from '../../src/app/command-runner.ts';
import type { AppContext } from '../../src/app/context.ts';
import { draftPublicUpdate } from '../../src/app/draft-public-update.ts';
import { generatePostmortem } from '../../src/app/generate-postmortem.ts';
import { getIncident, listOpenIncidents } from '../../src/app/read-incidents.ts';
import { publishUpdate } from '../../src/app/review-public-update.ts';
import { setKeyMoment } from '../../src/app/set-key-moment.ts';
import { createTestDatabase, describeDb, type TestDatabase } from '../helpers/database.ts';
import { countEverything, declare, expectDomainError, makeContext, metaOf, person, snapshot, T0 } from './helpers.ts';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});

afterAll(async () => {
  await database.drop();
});

type Action = (ctx: AppContext, meta: CommandMeta, incidentId: string) => Promise<unknown>;

/** Every way of touching an incident, reads and writes. */
const anyAction: [name: string, action: Action][] = [
  ['getIncident', (ctx, meta, id) => getIncident(ctx, meta, id)],
  ['addNote', (ctx, meta, id) => addNote(ctx, meta, id, { text: 'Paged the DB team' })],
  ['changeStatus', (ctx, meta, id) => changeStatus(ctx, meta, id, { status: 'identified' })],
  ['setKeyMoment', (ctx, meta, id) => setKeyMoment(ctx, meta, id, { moment: 'detected', at: T0 })],
  ['closeIncident', (ctx, meta, id) => closeIncident(ctx, meta, id, {})],
  ['generatePostmortem', (ctx, meta, id) => generatePostmortem(ctx, meta, id)],
];

/** What reaches customers, or ends the incident: responders only. */
const publicAction: [name: string, action: Action][] = [
  ['draftPublicUpdate', (ctx, meta, id) => draftPublicUpdate(ctx, meta, id, { text: 'We are investigating.' })],
  ['changeStatus with public text', (ctx, meta, id) => changeStatus(ctx, meta, id, { status: 'identified', publicText: 'Cause found.' })],
  ['closeIncident', (ctx, meta, id) => closeIncident(ctx, meta, id, {})],
];

describeDb('private incidents', () => {
  it.each(anyAction)('%s by a non-responder fails with incident_not_found, not not_responder, and writes nothing', async (_name, action) => {
    const { ctx } = makeContext(database.db);
    const { incidentId, number } = await declare(ctx, person('Aiko'), { visibility: 'private' });
    const before = await countEverything(database.db);
    const error = await expectDomainError(action(ctx, metaOf(person('Mallory')), incidentId), 'incident_not_found');
    expect(error.params).toEqual({ ref: `INC-${number}` });
    expect(await countEverything(database.db)).toEqual(before);
  });

  it.each(anyAction)('%s works for a responder holding a role', async (_name, action) => {
    const { ctx } = makeContext(database.db);
    const aiko = person('Aiko');
    const ben = person('Ben');
    const { incidentId } = await declare(ctx, aiko, { visibility: 'private' });
    await assignRole(ctx, metaOf(aiko), incidentId, { role: 'scribe', user: { id: ben.id, display: '@Ben' } });
    await expect(action(ctx, metaOf(ben), incidentId)).resolves.toBeDefined();
  });

  it.each(anyAction)('%s works for anyone speaking in the incident channel', async (_name, action) => {
    const { ctx } = makeContext(database.db);
    const { incidentId } = await declare(ctx, person('Aiko'), { visibility: 'private' });
    await expect(action(ctx, metaOf(person('Carol'), { inIncidentChannel: true }), incidentId)).resolves.toBeDefined();
  });

  it('stays visible to someone who has acted in it', async () => {
    const { ctx } = makeContext(database.db);
    const carol = person('Carol');
    const { incidentId } = await declare(ctx, person('Aiko'), { visibility: 'private' });
    await addNote(ctx, metaOf(carol, { inIncidentChannel: true }), incidentId, { text: 'Joined from the channel' });
    expect((await getIncident(ctx, metaOf(carol), incidentId)).id).toBe(incidentId);
  });

  it('is listed only for its responders', async () => {
    const { ctx } = makeContext(database.db);
    const aiko = person('Aiko');
    const secret = await declare(ctx, aiko, { title: 'Credential leak', visibility: 'private' });
    const open = await declare(ctx, aiko, { title: 'API errors' });
    const idsFor = async (meta: CommandMeta) => (await listOpenIncidents(ctx, meta)).map((i) => i.id);
    const outsider = await idsFor(metaOf(person('Mallory')));
    expect(outsider).toContain(open.incidentId);
    expect(outsider).not.toContain(secret.incidentId);
    expect(await idsFor(metaOf(aiko))).toEqual(expect.arrayContaining([secret.incidentId, open.incidentId]));
  });
});

describeDb('public incidents', () => {
  it.each(publicAction)('%s requires a responder (not_responder) and writes nothing', async (_name, action) => {
    const { ctx } = makeContext(database.db);
    const { incidentId, number } = await declare(ctx, person('Aiko'));
    const before = await countEverything(database.db);
    const error = await expectDomainError(action(ctx, metaOf(person('Mallory')), incidentId), 'not_responder');
    expect(error.params).toEqual({ ref: `INC-${number}` });
    expect(await countEverything(database.db)).toEqual(before);
  });

  it.each(publicAction)('%s is allowed from the incident channel', async (_name, action) => {
    const { ctx } = makeContext(database.db);
    const { incidentId } = await declare(ctx, person('Aiko'));
    await expect(action(ctx, metaOf(person('Carol'), { inIncidentChannel: true }), incidentId)).resolves.toBeDefined();
  });

  it('publishing a previewed update requires a responder', async () => {
    const { ctx } = makeContext(database.db);
    const aiko = person('Aiko');
    const { incidentId } = await declare(ctx, aiko);
    const { outcome } = await draftPublicUpdate(ctx, metaOf(aiko), incidentId, { text: 'We are investigating.' });
    await expectDomainError(publishUpdate(ctx, metaOf(person('Mallory')), outcome.updateId), 'not_responder');
  });

  it('lets anyone add an internal note, which makes them a responder', async () => {
    const { ctx } = makeContext(database.db);
    const dan = person('Dan');
    const { incidentId } = await declare(ctx, person('Aiko'));
    await addNote(ctx, metaOf(dan), incidentId, { text: 'Seeing 502s from the EU edge' });
    expect((await snapshot(database.db, incidentId)).responderIds).toContain(dan.id);
  });

  it('lets anyone read it', async () => {
    const { ctx } = makeContext(database.db);
    const { incidentId } = await declare(ctx, person('Aiko'));
    expect((await getIncident(ctx, metaOf(person('Mallory')), incidentId)).id).toBe(incidentId);
  });
});
