import { sql } from 'drizzle-orm';
import type { Database, Executor } from '../db/client.ts';
import type { Logger } from '../logger.ts';

/** The NOTIFY channel on which writers say that work is waiting. */
export const WORK_CHANNEL = 'tsuiki_work';

/** Which workers a notification wakes. */
export type WorkKind = 'delivery' | 'job';

/**
 * Tells every process listening that work of `kind` is waiting. Inside a transaction the
 * notification goes out at commit (and not at all on rollback), so a worker woken by it
 * finds the rows; the workers' polls remain for a notification lost with a connection.
 */
export async function announceWork(tx: Executor, kind: WorkKind): Promise<void> {
  await tx.execute(sql`select pg_notify(${WORK_CHANNEL}, ${kind})`);
}

/**
 * Wakes `wake` whenever work of `kind` is announced on the database; resolves to the
 * unlisten. A database that cannot listen (it is away) leaves the worker on its poll.
 */
export async function listenForWork(database: Database, kind: WorkKind, wake: () => void, logger: Logger): Promise<() => Promise<void>> {
  try {
    return await database.listen(WORK_CHANNEL, (payload) => {
      if (payload === kind) wake();
    });
  } catch (e) {
    logger.warn({ err: e, kind }, 'could not listen for work; polling only');
    return async () => {};
  }
}
