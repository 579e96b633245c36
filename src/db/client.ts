import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import lockfile from 'proper-lockfile';
import * as schema from './schema.ts';
import { isFreshDataDir, setUpDataDir } from './set-up-directory.ts';

/** Drizzle over either driver; use cases see only this type. */
export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;
/** A transaction handle, accepted wherever a Db is. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
export type Executor = Db | Tx;

export interface Database {
  db: Db;
  kind: 'pglite' | 'postgres';
  /** Throws when the database cannot answer a trivial query; backs /readyz. */
  ping(): Promise<void>;
  close(): Promise<void>;
  /** Applies pending migrations from drizzle/, once even when several processes start together. */
  migrate(): Promise<void>;
  /**
   * A database session of its own for session-level advisory locks, which live as long as
   * the session: a connection that is not shared with the pool (PostgreSQL), or PGlite's one
   * session. Closing it releases the locks it took.
   */
  openLockSession(): Promise<LockSession>;
  /** Calls `onNotify` for each NOTIFY on `channel` (from any process on this database); resolves to its unlisten. */
  listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>>;
}

/** One database session: raw parameterized queries on a connection nobody else uses. */
export interface LockSession {
  query<T extends Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** postgres:// URL; unset means embedded PGlite. */
  url?: string;
  /** PGlite's directory; unset with no url means in memory (tests). */
  dataDir?: string;
  /** Apply migrations before returning; on by default. */
  migrate?: boolean;
  maxConnections?: number;
}

export const MIGRATIONS_FOLDER = resolve(dirname(fileURLToPath(import.meta.url)), '../../drizzle');

// Any constant works; every tsuiki process takes the same one around migrations so that
// several processes starting together do not apply the same migration twice.
const MIGRATION_LOCK_ID = 0x7453_756b;

/** Thrown when another process already holds the embedded database directory. */
export class DatabaseLockedError extends Error {
  constructor(readonly dataDir: string) {
    super(`database directory ${dataDir} is in use by another tsuiki process`);
    this.name = 'DatabaseLockedError';
  }
}

/** Thrown when DATABASE_URL names a server that cannot be reached or logged in to; the message names the setting, never the password. */
export class DatabaseUnreachableError extends Error {
  constructor(url: string, cause: unknown) {
    const target = URL.canParse(url) ? new URL(url) : undefined;
    const where = target ? `${target.hostname}:${target.port || 5432}${target.pathname}` : 'the server';
    const reason = (cause as { code?: string }).code ?? (cause instanceof Error ? cause.message : String(cause));
    super(`DATABASE_URL: expected a PostgreSQL server tsuiki can log in to, but ${where} cannot be reached (${reason}); unset DATABASE_URL to use the embedded database`, { cause });
    this.name = 'DatabaseUnreachableError';
  }
}

// Errors that mean "wrong or unreachable server", not a failing migration: network codes, and
// PostgreSQL's invalid password, no such role / database (28P01, 28000, 3D000).
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'CONNECT_TIMEOUT', '28P01', '28000', '3D000']);

/** Opens PostgreSQL (postgres.js) when a URL is given, otherwise embedded PGlite, and migrates. */
export async function openDatabase(options: OpenOptions): Promise<Database> {
  const database = options.url ? openPostgres(options.url, options) : await openPglite(options);
  if (options.migrate ?? true) {
    try {
      await database.migrate();
    } catch (e) {
      await database.close();
      if (options.url && UNREACHABLE_CODES.has((e as { code?: string }).code ?? '')) throw new DatabaseUnreachableError(options.url, e);
      throw e;
    }
  }
  return database;
}

function openPostgres(url: string, options: OpenOptions): Database {
  const client = postgres(url, {
    max: options.maxConnections ?? 10,
    onnotice: () => {},
    // postgres.js waits up to 20 s between reconnects by default: a database that came back
    // would stay "not ready" and commands would hang that long. Retry within a second instead.
    backoff: (retries: number) => (0.5 + Math.random() / 2) * Math.min(0.05 * 2 ** retries, 1),
  });
  const db = drizzlePostgres(client, { schema }) as unknown as Db;
  return {
    db,
    kind: 'postgres',
    ping: async () => {
      await client`select 1`;
    },
    close: () => client.end({ timeout: 5 }),
    migrate: async () => {
      // A session lock on a one-connection client: the migrator opens its own transaction,
      // so the lock must outlive it. A crash releases it with the connection.
      const single = postgres(url, { max: 1, onnotice: () => {} });
      try {
        await single`select pg_advisory_lock(${MIGRATION_LOCK_ID})`;
        await migratePostgres(drizzlePostgres(single), { migrationsFolder: MIGRATIONS_FOLDER });
      } finally {
        await single.end({ timeout: 5 });
      }
    },
    listen: async (channel, onNotify) => {
      // postgres.js keeps one listening connection per client and listens again after a reconnect.
      const listening = await client.listen(channel, onNotify);
      return () => listening.unlisten();
    },
    openLockSession: async () => {
      // One connection; after a reconnect it is a new session whose locks are gone (the
      // holder checks and takes them again).
      const session = postgres(url, { max: 1, onnotice: () => {}, backoff: () => 0.5 });
      return {
        query: async <T extends Record<string, unknown>>(text: string, params: unknown[] = []) => [...(await session.unsafe(text, params as never[]))] as unknown as T[],
        close: () => session.end({ timeout: 2 }),
      };
    },
  };
}

async function openPglite(options: OpenOptions): Promise<Database> {
  let release: (() => Promise<void>) | undefined;
  let client: PGlite;
  if (options.dataDir) {
    const dir = resolve(options.dataDir);
    mkdirSync(dir, { recursive: true });
    // PGlite is single-process: a second process on the same files would corrupt them or
    // silently lose writes, so it must refuse to start instead.
    try {
      release = await lockfile.lock(dir, { stale: 15_000, update: 5_000, realpath: false });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ELOCKED') throw new DatabaseLockedError(dir);
      throw e;
    }
    if ((options.migrate ?? true) && isFreshDataDir(dir)) {
      try {
        await setUpDataDir(dir, MIGRATIONS_FOLDER);
      } catch (e) {
        await release();
        throw e;
      }
    }
    client = await PGlite.create(dir);
  } else {
    client = await PGlite.create();
  }
  const db = drizzlePglite(client, { schema }) as unknown as Db;
  return {
    db,
    kind: 'pglite',
    ping: async () => {
      await client.query('select 1');
    },
    close: async () => {
      await client.close();
      await release?.();
    },
    migrate: () => migratePglite(drizzlePglite(client), { migrationsFolder: MIGRATIONS_FOLDER }),
    listen: async (channel, onNotify) => {
      const unlisten = await client.listen(channel, onNotify);
      return () => unlisten();
    },
    // PGlite is one session, held by this process alone: its locks are this process's.
    openLockSession: async () => ({
      query: async <T extends Record<string, unknown>>(text: string, params: unknown[] = []) => (await client.query<T>(text, params)).rows,
      close: async () => {},
    }),
  };
}

/** Rows of a raw `execute()` result, whose shape differs between postgres.js (an array) and PGlite (`{ rows }`). */
export function rowsOf<T>(result: unknown): T[] {
  return Array.isArray(result) ? (result as T[]) : ((result as { rows: T[] }).rows ?? []);
}
