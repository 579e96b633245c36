import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { describe } from 'vitest';
import { type Database, openDatabase } from '../../src/db/client.ts';

/** A migrated database of its own for one test file; `drop()` closes it and removes it. */
export type TestDatabase = Database & { drop(): Promise<void> };

const serverUrl = process.env.TEST_DATABASE_URL || undefined;

/** Which database the suite runs on: `postgres` when TEST_DATABASE_URL is set, else `pglite`. */
export const dbKind: Database['kind'] = serverUrl ? 'postgres' : 'pglite';

/** Human-readable name of that database for test titles and logs; a password never appears. */
export const dbLabel: string = serverUrl ? `postgres ${hostOf(serverUrl)}` : 'pglite (in memory)';

/** `describe`, with the database the suite ran on in its title, so reports show which one passed. */
export function describeDb(name: string, body: () => void): void {
  describe(`${name} [${dbLabel}]`, body);
}

/**
 * Opens a fresh, migrated database: on the server of TEST_DATABASE_URL a new database
 * `tsuiki_test_<random>` (so test files run in parallel without seeing each other's rows),
 * otherwise PGlite in memory. Call `drop()` in `afterAll`.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  if (!serverUrl) {
    const database = await openDatabase({});
    return withDrop(database, () => closeOnce(database));
  }
  const name = `tsuiki_test_${randomBytes(6).toString('hex')}`;
  await onMaintenanceDb(serverUrl, (sql) => sql.unsafe(`create database "${name}"`));
  let database: Database;
  try {
    database = await openDatabase({ url: withDatabase(serverUrl, name), maxConnections: 5 });
  } catch (e) {
    await onMaintenanceDb(serverUrl, (sql) => sql.unsafe(`drop database if exists "${name}" with (force)`));
    throw e;
  }
  return withDrop(database, async () => {
    await closeOnce(database);
    // FORCE (PostgreSQL 13+) ends connections a test left open instead of failing the drop.
    await onMaintenanceDb(serverUrl, (sql) => sql.unsafe(`drop database if exists "${name}" with (force)`));
  });
}

const closed = new WeakSet<Database>();

// close() may already have been called by the test itself; PGlite throws on a second close.
async function closeOnce(database: Database): Promise<void> {
  if (closed.has(database)) return;
  closed.add(database);
  await database.close();
}

function withDrop(database: Database, drop: () => Promise<void>): TestDatabase {
  let dropping: Promise<void> | undefined;
  return {
    ...database,
    close: () => closeOnce(database),
    drop: () => (dropping ??= drop()),
  };
}

/** Runs statements on the server's `postgres` database, where CREATE/DROP DATABASE may run. */
async function onMaintenanceDb(url: string, work: (sql: postgres.Sql) => Promise<unknown>): Promise<void> {
  const sql = postgres(withDatabase(url, 'postgres'), { max: 1, onnotice: () => {} });
  try {
    await work(sql);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

function hostOf(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port || '5432'}`;
}
