import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** True when `dir` holds no PostgreSQL cluster yet (PGlite writes PG_VERSION when it creates one). */
export function isFreshDataDir(dir: string): boolean {
  return !existsSync(join(dir, 'PG_VERSION'));
}

// Plain JavaScript run by `node -e`: the child needs no tsx, so it starts in a fraction of a
// second, and imports the packages by the URLs the parent resolved.
const CHILD_SOURCE = `
const { dir, migrationsFolder, pglite, drizzle, migrator } = JSON.parse(process.env.TSUIKI_SET_UP);
const { PGlite } = await import(pglite);
const { drizzle: drizzlePglite } = await import(drizzle);
const { migrate } = await import(migrator);
const client = await PGlite.create(dir);
try {
  await migrate(drizzlePglite(client), { migrationsFolder });
} finally {
  await client.close();
}
`;

/**
 * Creates the PGlite cluster in `dir` and applies the migrations in a child process that then
 * exits. PGlite's initdb grows its WebAssembly heap to about 850 MB and a heap never shrinks;
 * done in the serving instance, the first start would keep that for the life of the process
 * (a worker thread was not enough either: its allocator arenas stayed ~110 MB resident). The
 * process that then opens `dir` starts as small as on any later start. The caller holds the
 * directory lock, which keeps every other tsuiki process out meanwhile.
 */
export async function setUpDataDir(dir: string, migrationsFolder: string): Promise<void> {
  const spec = {
    dir,
    migrationsFolder,
    pglite: import.meta.resolve('@electric-sql/pglite'),
    drizzle: import.meta.resolve('drizzle-orm/pglite'),
    migrator: import.meta.resolve('drizzle-orm/pglite/migrator'),
  };
  const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD_SOURCE], {
    env: { ...process.env, TSUIKI_SET_UP: JSON.stringify(spec) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4_000)));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (exitCode) => resolve(exitCode));
  });
  if (code !== 0) {
    const why = stderr.trim().split('\n').find((l) => /Error/.test(l)) ?? stderr.trim().split('\n').at(-1) ?? `exit ${code}`;
    throw new Error(`database set-up in ${dir} failed: ${why}`);
  }
}
