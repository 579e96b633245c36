import { afterAll, beforeAll, expect, it } from 'vitest';
import { addNote } from '../../src/app/add-note.ts';
import type { AppContext } from '../../src/app/context.ts';
import type { Db } from '../../src/db/client.ts';
import { createTestDatabase, describeDb, type TestDatabase } from '../helpers/database.ts';
import { countEntries, declare, makeContext, metaOf, newKey, person } from './helpers.ts';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.drop();
});

/** What postgres.js throws when the socket closes under a query. */
function connectionClosed(): Error {
  return Object.assign(new Error('write CONNECTION_CLOSED 127.0.0.1:5432'), { code: 'CONNECTION_CLOSED' });
}

/**
 * The app's database with its next transaction sabotaged: `after` runs it to the end (the
 * COMMIT happens) and then loses the answer; `before` fails it without running it.
 */
function losingNextTransaction(db: Db, when: 'before' | 'after'): { db: Db; transactions: () => number } {
  let count = 0;
  const transaction: Db['transaction'] = async (work, config) => {
    count += 1;
    if (count === 1 && when === 'before') throw connectionClosed();
    const result = await db.transaction(work, config);
    if (count === 1) throw connectionClosed();
    return result;
  };
  return { db: Object.assign(Object.create(db) as Db, { transaction }), transactions: () => count };
}

function withDb(ctx: AppContext, db: Db): AppContext {
  return { ...ctx, db };
}

describeDb('a command that loses its connection', () => {
  it('is answered from its receipt when the commit went through before the answer was lost', async () => {
    const { ctx } = makeContext(database.db);
    const aiko = person('Aiko');
    const { incidentId } = await declare(ctx, aiko);
    const before = await countEntries(database.db, incidentId, 'note');
    const losing = losingNextTransaction(database.db, 'after');
    const result = await addNote(withDb(ctx, losing.db), metaOf(aiko, { idempotencyKey: newKey() }), incidentId, { text: 'Failover started' });
    expect(losing.transactions()).toBe(2);
    expect(result.replayed).toBe(true);
    expect(await countEntries(database.db, incidentId, 'note')).toBe(before + 1);
  });

  it('is recorded by the second attempt when the first never reached the database', async () => {
    const { ctx } = makeContext(database.db);
    const aiko = person('Aiko');
    const { incidentId } = await declare(ctx, aiko);
    const before = await countEntries(database.db, incidentId, 'note');
    const losing = losingNextTransaction(database.db, 'before');
    const result = await addNote(withDb(ctx, losing.db), metaOf(aiko, { idempotencyKey: newKey() }), incidentId, { text: 'Failover started' });
    expect(result.replayed).toBe(false);
    expect(await countEntries(database.db, incidentId, 'note')).toBe(before + 1);
  });

  it('is not asked again without a retry key, where a second attempt could record it twice', async () => {
    const { ctx } = makeContext(database.db);
    const aiko = person('Aiko');
    const { incidentId } = await declare(ctx, aiko);
    const losing = losingNextTransaction(database.db, 'after');
    await expect(addNote(withDb(ctx, losing.db), metaOf(aiko), incidentId, { text: 'Failover started' })).rejects.toMatchObject({ code: 'CONNECTION_CLOSED' });
    expect(losing.transactions()).toBe(1);
  });
});
