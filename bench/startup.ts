import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { BenchRow } from './run.ts';
import { percentile, withScratchPostgres } from './support.ts';

const ROOT = join(import.meta.dirname, '..');
const RUNS = 5;
/** How long a started process sits without requests before its memory is read. */
const IDLE_MS = 3_000;
const READY_LIMIT_MS = 60_000;

/** `tsuiki serve` exactly as `npm start` runs it. */
const SERVE = ['bin/tsuiki.js', 'serve'];
/** The floor: a bare Node process with the same HTTP stack (hono on @hono/node-server) answering /readyz. */
const BARE = [
  '--input-type=module',
  '-e',
  [
    "import { serve } from '@hono/node-server';",
    "import { Hono } from 'hono';",
    'const app = new Hono();',
    "app.get('/readyz', (c) => c.json({ status: 'ready' }));",
    "serve({ fetch: app.fetch, port: Number(process.env.PORT), hostname: '127.0.0.1' });",
  ].join(' '),
];

interface Start {
  readyMs: number;
  idleRssMiB: number;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resident set size of a live process, from /proc (Linux). */
function rssMiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'));
  if (!line) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(line.replace(/\D+/g, '')) / 1024;
}

/**
 * Spawns `node <args>` and times spawn → first 200 from /readyz (polled every 10 ms), then
 * lets it idle and reads its RSS, then stops it with SIGTERM (as a deploy would).
 */
async function startOnce(args: string[], env: Record<string, string>): Promise<Start> {
  const port = await freePort();
  const began = performance.now();
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4_000));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let exit: string | undefined;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exit = `exited (${code ?? signal})`;
      resolve();
    }),
  );
  try {
    let readyMs: number | undefined;
    while (readyMs === undefined) {
      if (exit) throw new Error(`${args.join(' ')} ${exit} before /readyz answered: ${output}`);
      if (performance.now() - began > READY_LIMIT_MS) throw new Error(`${args.join(' ')}: /readyz not 200 after ${READY_LIMIT_MS} ms: ${output}`);
      try {
        const res = await fetch(`http://127.0.0.1:${port}/readyz`);
        await res.arrayBuffer();
        if (res.status === 200) readyMs = performance.now() - began;
      } catch {
        // not listening yet
      }
      if (readyMs === undefined) await sleep(10);
    }
    await sleep(IDLE_MS);
    if (exit) throw new Error(`${args.join(' ')} ${exit} while idle: ${output}`);
    return { readyMs, idleRssMiB: rssMiB(child.pid!) };
  } finally {
    if (!exit) {
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(15_000)]);
      if (!exit) child.kill('SIGKILL');
    }
  }
}

const median = (xs: number[]) => percentile(xs, 0.5);

/**
 * Start-up time and idle memory of `tsuiki serve` as real processes, on PGlite (a fresh
 * DATA_DIR, then again on its data) and on PostgreSQL (a fresh database, then again on it),
 * each beside a bare hono server started the same way in the same run.
 */
export async function run(): Promise<BenchRow[]> {
  const bare: Start[] = [];
  const pgliteFresh: Start[] = [];
  const pgliteAgain: Start[] = [];
  const pgFresh: Start[] = [];
  const pgAgain: Start[] = [];
  let postgresAnswers = true;
  // Start-up is mostly CPU (module loading, transpiling): a busy machine shows in every row.
  console.log(`  load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} CPUs`);
  // Interleaved, so a machine that slows down during the run slows every kind alike.
  for (let i = 0; i < RUNS; i++) {
    bare.push(await startOnce(BARE, {}));
    const dataDir = mkdtempSync(join(tmpdir(), 'tsuiki-bench-startup-'));
    try {
      pgliteFresh.push(await startOnce(SERVE, { DATA_DIR: dataDir }));
      pgliteAgain.push(await startOnce(SERVE, { DATA_DIR: dataDir }));
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
    if (postgresAnswers) {
      const started = await withScratchPostgres(async (url) => [await startOnce(SERVE, { DATABASE_URL: url }), await startOnce(SERVE, { DATABASE_URL: url })] as const);
      if (started) {
        pgFresh.push(started[0]);
        pgAgain.push(started[1]);
      } else {
        postgresAnswers = false;
      }
    }
    console.log(`  run ${i + 1}/${RUNS}: bare ${Math.round(bare.at(-1)!.readyMs)} ms, PGlite ${Math.round(pgliteFresh.at(-1)!.readyMs)}/${Math.round(pgliteAgain.at(-1)!.readyMs)} ms${pgAgain.length > i ? `, PostgreSQL ${Math.round(pgFresh.at(-1)!.readyMs)}/${Math.round(pgAgain.at(-1)!.readyMs)} ms` : ''}`);
  }

  const bareReady = median(bare.map((s) => s.readyMs));
  const bareRss = median(bare.map((s) => s.idleRssMiB));
  const bareReadyLabel = 'bare hono server, node -e';
  const bareRssLabel = 'bare hono server, idle';
  const ready = (metric: string, starts: Start[], target: string): BenchRow => {
    const value = median(starts.map((s) => s.readyMs));
    return { metric: `${metric}, spawn → /readyz 200 (median of ${starts.length})`, value, unit: 'ms', baseline: bareReady, baselineLabel: bareReadyLabel, ratio: value / bareReady, target };
  };
  const memory = (metric: string, starts: Start[], target: string): BenchRow => {
    const value = median(starts.map((s) => s.idleRssMiB));
    return { metric: `${metric}, RSS after ${IDLE_MS / 1000} s idle (median of ${starts.length})`, value, unit: 'MiB', baseline: bareRss, baselineLabel: bareRssLabel, ratio: value / bareRss, target };
  };
  const rows: BenchRow[] = [
    ready('tsuiki serve, PGlite, fresh DATA_DIR (creates the database, migrates)', pgliteFresh, '≤ 10,000 ms'),
    ready('tsuiki serve, PGlite, existing DATA_DIR', pgliteAgain, '≤ 3,000 ms'),
    // PGlite is PostgreSQL compiled to WebAssembly inside the process: its memory counts here.
    // The first start creates the cluster in a child process whose memory goes with it, so
    // it must end no bigger than a later start (issue #14: it kept 893 MB).
    memory('tsuiki serve, PGlite, fresh DATA_DIR', pgliteFresh, '≤ 450 MiB, as existing'),
    memory('tsuiki serve, PGlite, existing DATA_DIR', pgliteAgain, '≤ 450 MiB'),
  ];
  if (pgAgain.length > 0) {
    rows.push(
      ready('tsuiki serve, PostgreSQL, empty database (migrates)', pgFresh, '≤ 3,000 ms'),
      ready('tsuiki serve, PostgreSQL, migrated database', pgAgain, '≤ 3,000 ms'),
      memory('tsuiki serve, PostgreSQL', pgAgain, '≤ 250 MiB'),
    );
  }
  return rows;
}
