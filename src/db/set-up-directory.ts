import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

/** True when `dir` holds no PostgreSQL cluster yet (PGlite writes PG_VERSION when it creates one). */
export function isFreshDataDir(dir: string): boolean {
  return !existsSync(join(dir, 'PG_VERSION'));
}

// Plain JavaScript on purpose: a worker does not inherit the tsx loader that bin/tsuiki.js
// registers, so it imports the packages by the URLs the parent resolved.
const WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
(async () => {
  const { PGlite } = await import(workerData.pglite);
  const { drizzle } = await import(workerData.drizzle);
  const { migrate } = await import(workerData.migrator);
  const client = await PGlite.create(workerData.dir);
  try {
    await migrate(drizzle(client), { migrationsFolder: workerData.migrationsFolder });
  } finally {
    await client.close();
  }
})().then(
  () => parentPort.postMessage({ ok: true }),
  (e) => parentPort.postMessage({ ok: false, message: String((e && e.message) || e) }),
);
`;

/**
 * Creates the PGlite cluster in `dir` and applies the migrations on a worker thread that is
 * then ended. PGlite's initdb grows its WebAssembly heap to about 850 MB and a heap never
 * shrinks; done in the serving instance, the first start would keep that for the life of the
 * process. A worker's heap is freed with the worker, so the process that then opens `dir`
 * starts as small as on any later start. The caller holds the directory lock.
 */
export async function setUpDataDir(dir: string, migrationsFolder: string): Promise<void> {
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: {
      dir,
      migrationsFolder,
      pglite: import.meta.resolve('@electric-sql/pglite'),
      drizzle: import.meta.resolve('drizzle-orm/pglite'),
      migrator: import.meta.resolve('drizzle-orm/pglite/migrator'),
    },
  });
  try {
    const result = await new Promise<{ ok: boolean; message?: string }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`database set-up in ${dir} ended early (exit ${code})`)));
    });
    if (!result.ok) throw new Error(`database set-up in ${dir} failed: ${result.message}`);
  } finally {
    await worker.terminate();
  }
}
