import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { type Database, openDatabase } from '../../../src/db/client.ts';

/**
 * The PostgreSQL server the process-level fault tests run against: TEST_DATABASE_URL
 * (.ci/run sets it), else the machine's local server. Several `tsuiki serve` processes
 * share one database, which PGlite cannot do.
 */
export const faultServerUrl = process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

/** host:port of the server, for test titles (never a password). */
export const faultServerLabel = (() => {
  const u = new URL(faultServerUrl);
  return `postgres ${u.hostname}:${u.port || '5432'}`;
})();

/** A migrated database of one test's own on the server; `url` is what child processes get as DATABASE_URL. */
export interface ScratchDatabase extends Database {
  name: string;
  url: string;
  /** Closes the test's connections and drops the database (ending any a child left open). */
  drop(): Promise<void>;
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

async function onMaintenanceDb(work: (sql: postgres.Sql) => Promise<unknown>): Promise<void> {
  const sql = postgres(withDatabase(faultServerUrl, 'postgres'), { max: 1, onnotice: () => {} });
  try {
    await work(sql);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** `create database tsuiki_fault_<random>`, migrated, opened with a small pool for the test's own reads and writes. */
export async function createScratchDatabase(): Promise<ScratchDatabase> {
  const name = `tsuiki_fault_${randomBytes(6).toString('hex')}`;
  await onMaintenanceDb((sql) => sql.unsafe(`create database "${name}"`));
  const url = withDatabase(faultServerUrl, name);
  let database: Database;
  try {
    database = await openDatabase({ url, maxConnections: 4 });
  } catch (e) {
    await onMaintenanceDb((sql) => sql.unsafe(`drop database if exists "${name}" with (force)`));
    throw e;
  }
  let dropping: Promise<void> | undefined;
  return {
    ...database,
    name,
    url,
    drop: () =>
      (dropping ??= (async () => {
        await database.close().catch(() => {});
        // FORCE ends the connections of children that were killed or are still shutting down.
        await onMaintenanceDb((sql) => sql.unsafe(`drop database if exists "${name}" with (force)`));
      })()),
  };
}
