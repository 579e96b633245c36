import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { assignRole } from '../../src/app/assign-role.ts';
import type { AppContext } from '../../src/app/context.ts';
import { draftPublicUpdate } from '../../src/app/draft-public-update.ts';
import { cancelUpdate, editTranslation, publishUpdate } from '../../src/app/review-public-update.ts';
import type { Actor } from '../../src/core/model.ts';
import * as t from '../../src/db/schema.ts';
import { createTestDatabase, describeDb, type TestDatabase } from '../helpers/database.ts';
import { countEntries, countEverything, declare, expectDomainError, makeContext, metaOf, MINUTE, person, snapshot, T0 } from './helpers.ts';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});

afterAll(async () => {
  await database.drop();
});

/** A public incident declared by `author`, with one drafted update of theirs. */
async function drafted(ctx: AppContext, author: Actor, text = 'We are investigating errors on the API.') {
  const { incidentId } = await declare(ctx, author);
  const { outcome } = await draftPublicUpdate(ctx, metaOf(author), incidentId, { text });
  return { incidentId, updateId: outcome.updateId, outcome };
}

async function updateRow(updateId: string) {
  const [row] = await database.db.select().from(t.publicUpdate).where(eq(t.publicUpdate.id, updateId));
  return row;
}

async function translations(updateId: string) {
  const rows = await database.db.select().from(t.publicUpdateTranslation).where(eq(t.publicUpdateTranslation.updateId, updateId));
  return rows.map((r) => ({ lang: r.lang, body: r.body, origin: r.origin })).sort((a, b) => a.lang.localeCompare(b.lang));
}

describeDb('draftPublicUpdate', () => {
  it('creates a draft whose source text is marked human and lists the missing languages', async () => {
    const { ctx } = makeContext(database.db);
    const { updateId, outcome } = await drafted(ctx, person('Aiko'), 'We are investigating.');
    expect(outcome).toMatchObject({ state: 'draft', missingLangs: ['ja'], status: 'investigating' });
    expect(await updateRow(updateId)).toMatchObject({ state: 'draft', sourceLang: 'en', body: 'We are investigating.', publishedAt: null });
    expect(await translations(updateId)).toEqual([{ lang: 'en', body: 'We are investigating.', origin: 'human' }]);
  });

  it('lists English as missing for a Japanese author', async () => {
    const { ctx } = makeContext(database.db);
    const { outcome } = await drafted(ctx, person('Haruto', 'ja'), '調査中です。');
    expect(outcome.missingLangs).toEqual(['en']);
  });

  it('publishes at once with PUBLISH_APPROVAL=off', async () => {
    const { ctx } = makeContext(database.db, { publishApproval: 'off' });
    const { incidentId, updateId, outcome } = await drafted(ctx, person('Aiko'));
    expect(outcome.state).toBe('published');
    expect(await updateRow(updateId)).toMatchObject({ state: 'published', publishedAt: T0 });
    expect(await countEntries(database.db, incidentId, 'public_update')).toBe(1);
    expect((await snapshot(database.db, incidentId)).moments.first_public).toEqual(T0);
  });

  it('refuses a private incident with private_incident and writes nothing', async () => {
    const { ctx } = makeContext(database.db);
    const aiko = person('Aiko');
    const { incidentId } = await declare(ctx, aiko, { visibility: 'private' });
    const before = await countEverything(database.db);
    await expectDomainError(draftPublicUpdate(ctx, metaOf(aiko), incidentId, { text: 'We are investigating.' }), 'private_incident');
    expect(await countEverything(database.db)).toEqual(before);
  });
});

describeDb('publishUpdate', () => {
  it('marks the update published and every translation approved', async () => {
    const { ctx, clock } = makeContext(database.db);
    const aiko = person('Aiko');
    const { updateId } = await drafted(ctx, aiko);
    await editTranslation(ctx, metaOf(aiko), updateId, { lang: 'ja', body: '調査中です。' });
    clock.advance(2 * MINUTE);
    const { outcome } = await publishUpdate(ctx, metaOf(aiko), updateId);
    expect(outcome).toMatchObject({ state: 'published', unchanged: false });
    expect(await updateRow(updateId)).toMatchObject({ state: 'published', publishedAt: clock.now(), approvedBy: aiko.id });
    expect((await translations(updateId)).map((tr) => [tr.lang, tr.origin])).toEqual([
      ['en', 'approved'],
      ['ja', 'approved'],
    ]);
  });

  it('appends a public_update entry authored by the writer and approved by the publisher', async () => {
    const { ctx } = makeContext(database.db);
    const aiko = person('Aiko');
    const ben = person('Ben');
    const { incidentId, updateId } = await drafted(ctx, aiko, 'We are investigating.');
    await publishUpdate(ctx, metaOf(ben, { inIncidentChannel: true }), updateId);
    const entry = (await snapshot(database.db, incidentId)).entries.find((e) => e.kind === 'public_update');
    expect(entry).toMatchObject({ authorId: aiko.id, text: 'We are investigating.', data: { updateId, status: 'investigating', approvedBy: ben.id } });
  });

  it('sets first_public on the first publish only', async () => {
    const { ctx, clock } = makeContext(database.db);
    const aiko = person('Aiko');
    const { incidentId, updateId } = await drafted(ctx, aiko);
    clock.advance(5 * MINUTE);
    await publishUpdate(ctx, metaOf(aiko), updateId);
    const firstTime = clock.now();
    const second = await draftPublicUpdate(ctx, metaOf(aiko), incidentId, { text: 'Failover in progress.' });
    clock.advance(30 * MINUTE);
    await publishUpdate(ctx, metaOf(aiko), second.outcome.updateId);
    expect((await snapshot(database.db, incidentId)).moments.first_public).toEqual(firstTime);
  });

  it('publishes once when the same update is published twice', async () => {
    const { ctx, clock } = makeContext(database.db);
    const aiko = person('Aiko');
    const { incidentId, updateId } = await drafted(ctx, aiko);
    const first = await publishUpdate(ctx, metaOf(aiko), updateId);
    clock.advance(MINUTE);
    const second = await publishUpdate(ctx, metaOf(aiko), updateId);
    expect(first.outcome.unchanged).toBe(false);
    expect(second.outcome).toMatchObject({ state: 'published', unchanged: true });
    expect(await countEntries(database.db, incidentId, 'public_update')).toBe(1);
    expect((await updateRow(updateId))?.publishedAt).toEqual(T0);
  });

  it('publishes once when two presses race', async () => {
    const { ctx } = makeContext(database.db);
    const aiko = person('Aiko');
    const ben = person('Ben');
    const { incidentId, updateId } = await drafted(ctx, aiko);
    const results = await Promise.all([
      publishUpdate(ctx, metaOf(aiko), updateId),
      publishUpdate(ctx, metaOf(ben, { inIncidentChannel: true }), updateId),
    ]);
    expect(results.map((r) => r.outcome.unchanged).sort()).toEqual([false, true]);
    expect(await countEntries(database.db, incidentId, 'public_update')).toBe(1);
  });

  it('rejects an update that does not exist with update_not_found', async () => {
    const { ctx } = makeContext(database.db);
    await expectDomainError(publishUpdate(ctx, metaOf(person('Aiko')), '00000000-0000-4000-8000-000000000000'), 'update_not_found');
  });
});

describeDb('publishUpdate with PUBLISH_APPROVAL=required', () => {
  it('refuses the author with approval_required and leaves the draft', async () => {
    const { ctx } = makeContext(database.db, { publishApproval: 'required' });
    const aiko = person('Aiko');
    const { incidentId, updateId } = await drafted(ctx, aiko);
    const before = await countEverything(database.db);
    await expectDomainError(publishUpdate(ctx, metaOf(aiko), updateId), 'approval_required');
    expect(await countEverything(database.db)).toEqual(before);
    expect((await updateRow(updateId))?.state).toBe('draft');
    expect((await snapshot(database.db, incidentId)).moments.first_public).toBeUndefined();
  });

  it('lets another responder publish', async () => {
    const { ctx } = makeContext(database.db, { publishApproval: 'required' });
    const { updateId } = await drafted(ctx, person('Aiko'));
    const { outcome } = await publishUpdate(ctx, metaOf(person('Ben'), { inIncidentChannel: true }), updateId);
    expect(outcome).toMatchObject({ state: 'published', unchanged: false });
  });

  it('lets the comms role holder publish their own update', async () => {
    const { ctx } = makeContext(database.db, { publishApproval: 'required' });
    const aiko = person('Aiko');
    const { incidentId } = await declare(ctx, aiko);
    await assignRole(ctx, metaOf(aiko), incidentId, { role: 'comms', user: { id: aiko.id, display: '@Aiko' } });
    const { outcome } = await draftPublicUpdate(ctx, metaOf(aiko), incidentId, { text: 'We are investigating.' });
    const published = await publishUpdate(ctx, metaOf(aiko), outcome.updateId);
    expect(published.outcome).toMatchObject({ state: 'published', unchanged: false });
  });
});

describeDb('cancelUpdate', () => {
  it('cancels a draft without publishing anything', async () => {
    const { ctx } = makeContext(database.db);
    const aiko = person('Aiko');
    const { incidentId, updateId } = await drafted(ctx, aiko);
    const { outcome } = await cancelUpdate(ctx, metaOf(aiko), updateId);
    expect(outcome).toMatchObject({ state: 'cancelled', unchanged: false });
    expect((await updateRow(updateId))?.state).toBe('cancelled');
    expect(await countEntries(database.db, incidentId, 'public_update')).toBe(0);
  });

  it('answers a second cancel as unchanged', async () => {
    const { ctx } = makeContext(database.db);
    const aiko = person('Aiko');
    const { updateId } = await drafted(ctx, aiko);
    await cancelUpdate(ctx, metaOf(aiko), updateId);
    expect((await cancelUpdate(ctx, metaOf(aiko), updateId)).outcome).toMatchObject({ state: 'cancelled', unchanged: true });
  });

  it('refuses to cancel a published update with update_not_draft', async () => {
    const { ctx } = makeContext(database.db);
    const aiko = person('Aiko');
    const { updateId } = await drafted(ctx, aiko);
    await publishUpdate(ctx, metaOf(aiko), updateId);
    await expectDomainError(cancelUpdate(ctx, metaOf(aiko), updateId), 'update_not_draft');
    expect((await updateRow(updateId))?.state).toBe('published');
  });

  it('keeps a cancelled update from being published', async () => {
    const { ctx } = makeContext(database.db);
    const aiko = person('Aiko');
    const { incidentId, updateId } = await drafted(ctx, aiko);
    await cancelUpdate(ctx, metaOf(aiko), updateId);
    const { outcome } = await publishUpdate(ctx, metaOf(aiko), updateId);
    expect(outcome).toMatchObject({ state: 'cancelled', unchanged: true });
    expect(await countEntries(database.db, incidentId, 'public_update')).toBe(0);
  });
});

describeDb('editTranslation', () => {
  it('stores a typed translation marked human', async () => {
    const { ctx } = makeContext(database.db);
    const aiko = person('Aiko');
    const { updateId } = await drafted(ctx, aiko, 'We are investigating.');
    await editTranslation(ctx, metaOf(aiko), updateId, { lang: 'ja', body: '調査中です。' });
    expect(await translations(updateId)).toEqual([
      { lang: 'en', body: 'We are investigating.', origin: 'human' },
      { lang: 'ja', body: '調査中です。', origin: 'human' },
    ]);
  });

  it('rewrites the update body when the source language is edited', async () => {
    const { ctx } = makeContext(database.db);
    const aiko = person('Aiko');
    const { updateId } = await drafted(ctx, aiko, 'We are investigatng.');
    await editTranslation(ctx, metaOf(aiko), updateId, { lang: 'en', body: 'We are investigating.' });
    expect((await updateRow(updateId))?.body).toBe('We are investigating.');
  });

  it('rejects a language that is not configured and writes nothing', async () => {
    const { ctx } = makeContext(database.db);
    const aiko = person('Aiko');
    const { updateId } = await drafted(ctx, aiko);
    const before = await countEverything(database.db);
    await expectDomainError(editTranslation(ctx, metaOf(aiko), updateId, { lang: 'fr', body: 'Nous enquêtons.' }), 'unknown_language');
    expect(await countEverything(database.db)).toEqual(before);
  });

  it('refuses to edit a published update’s source or an existing translation with update_not_draft', async () => {
    const { ctx } = makeContext(database.db);
    const aiko = person('Aiko');
    const { updateId } = await drafted(ctx, aiko);
    await publishUpdate(ctx, metaOf(aiko), updateId);
    await expectDomainError(editTranslation(ctx, metaOf(aiko), updateId, { lang: 'en', body: 'Rewritten.' }), 'update_not_draft');
    await editTranslation(ctx, metaOf(aiko), updateId, { lang: 'ja', body: '調査中です。' });
    await expectDomainError(editTranslation(ctx, metaOf(aiko), updateId, { lang: 'ja', body: '再調査中です。' }), 'update_not_draft');
  });

  it('takes a person’s translation of a published update’s missing language, the one its deliveries wait for', async () => {
    const { ctx } = makeContext(database.db);
    const aiko = person('Aiko');
    const { updateId } = await drafted(ctx, aiko);
    await publishUpdate(ctx, metaOf(aiko), updateId);
    const { outcome } = await editTranslation(ctx, metaOf(aiko), updateId, { lang: 'ja', body: '調査中です。' });
    expect(outcome.state).toBe('published');
    const rows = await database.db.select().from(t.publicUpdateTranslation).where(eq(t.publicUpdateTranslation.updateId, updateId));
    expect(rows.find((r) => r.lang === 'ja')).toMatchObject({ body: '調査中です。', origin: 'human' });
  });
});
