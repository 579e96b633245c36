import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { changeStatus } from '../src/app/change-status.ts';
import { declareIncident } from '../src/app/declare-incident.ts';
import { publishUpdate } from '../src/app/review-public-update.ts';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/logger.ts';
import { startServer } from '../src/main.ts';
import type { BenchRow } from './run.ts';

const execFileAsync = promisify(execFile);
const CONNECTIONS = 64;
const SECONDS = 6;
const PATHS = [
  { path: '/status', file: 'status.html', type: 'text/html' },
  { path: '/api/v2/summary.json', file: 'summary.json', type: 'application/json' },
];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/**
 * autocannon in its own process, so the load generator does not share tsuiki's event loop
 * (and asynchronously: tsuiki serves from this process while it runs).
 */
async function autocannon(url: string): Promise<{ rps: number; p99: number; errors: number; non2xx: number }> {
  const { stdout: out } = await execFileAsync(
    process.execPath,
    [join(import.meta.dirname, '../node_modules/autocannon/autocannon.js'), '-c', String(CONNECTIONS), '-d', String(SECONDS), '-j', url],
    { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 },
  );
  const result = JSON.parse(out) as { requests: { average: number }; latency: { p99: number }; errors: number; non2xx: number };
  return { rps: result.requests.average, p99: result.latency.p99, errors: result.errors, non2xx: result.non2xx };
}

function startNginx(root: string, port: number): ChildProcess {
  const locations = PATHS.map(
    (p) => `location = ${p.path} { default_type ${p.type}; alias ${join(root, p.file)}; }`,
  ).join('\n    ');
  const conf = join(root, 'nginx.conf');
  writeFileSync(
    conf,
    `daemon off;
worker_processes 1;
pid ${join(root, 'nginx.pid')};
error_log ${join(root, 'error.log')};
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${root}/tmp; proxy_temp_path ${root}/tmp; fastcgi_temp_path ${root}/tmp; uwsgi_temp_path ${root}/tmp; scgi_temp_path ${root}/tmp;
  server {
    listen 127.0.0.1:${port};
    ${locations}
  }
}
`,
  );
  mkdirSync(join(root, 'tmp'), { recursive: true });
  return spawn('nginx', ['-c', conf, '-p', root], { stdio: 'ignore' });
}

async function waitFor(url: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${url} did not come up`);
}

function hasNginx(): boolean {
  try {
    execFileSync('nginx', ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** `/status` and `/api/v2/summary.json` under 64 connections, beside nginx serving the same bytes. */
export async function run(): Promise<BenchRow[]> {
  if (!hasNginx()) {
    console.log('  status-page-throughput: skipped, nginx is not installed (apt-get install nginx-light)');
    return [];
  }
  const dir = mkdtempSync(join(tmpdir(), 'tsuiki-bench-status-'));
  // nginx's worker runs as an unprivileged user when started as root: it must be able to read the files.
  chmodSync(dir, 0o755);
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: join(dir, 'data'), LOG_LEVEL: 'silent', LOCALES: 'en,ja' });
  const server = await startServer(config, createLogger({ level: 'silent' }));
  let nginx: ChildProcess | undefined;
  try {
    const { app } = server.runtime;
    const actor = { platform: 'console' as const, id: 'bench', name: 'bench', lang: 'en' };
    const { outcome } = await declareIncident(app, { actor }, { title: 'Elevated API errors', components: ['api', 'console', 'sms'], impact: 'major_outage' });
    for (const [status, body] of [
      ['identified', 'We found an overloaded internal service and are failing over.'],
      ['monitoring', 'Most new API traffic has recovered; queued messages are being delivered.'],
    ] as const) {
      const { outcome: changed } = await changeStatus(app, { actor, inIncidentChannel: true }, outcome.incidentId, { status, publicText: body });
      await publishUpdate(app, { actor: { ...actor, id: 'approver', name: 'approver' }, inIncidentChannel: true }, changed.update!.updateId);
    }
    const base = `http://127.0.0.1:${server.port}`;
    const root = join(dir, 'static');
    mkdirSync(root);
    // Wait until the page shows the published updates, then copy its exact bytes for nginx.
    for (let i = 0; i < 100; i++) {
      if ((await (await fetch(`${base}/status`)).text()).includes('Most new API traffic')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    for (const p of PATHS) writeFileSync(join(root, p.file), Buffer.from(await (await fetch(`${base}${p.path}`)).arrayBuffer()));
    const nginxPort = await freePort();
    nginx = startNginx(root, nginxPort);
    await waitFor(`http://127.0.0.1:${nginxPort}/status`).catch((e: unknown) => {
      throw new Error(`nginx: ${e instanceof Error ? e.message : String(e)}: ${readFileSync(join(root, 'error.log'), 'utf8')}`);
    });

    const rows: BenchRow[] = [];
    for (const p of PATHS) {
      await autocannon(`${base}${p.path}`); // warm-up: JIT and the render cache
      const ours = await autocannon(`${base}${p.path}`);
      const theirs = await autocannon(`http://127.0.0.1:${nginxPort}${p.path}`);
      if (ours.errors || ours.non2xx) throw new Error(`${p.path}: ${ours.errors} errors, ${ours.non2xx} non-2xx`);
      rows.push(
        {
          metric: `GET ${p.path}, ${CONNECTIONS} connections`,
          value: Math.round(ours.rps),
          unit: 'req/s',
          baseline: Math.round(theirs.rps),
          baselineLabel: 'nginx, same bytes as static files (1 worker)',
          ratio: ours.rps / theirs.rps,
          target: '≥ 0.5× nginx',
        },
        {
          metric: `GET ${p.path} p99 latency`,
          value: ours.p99,
          unit: 'ms',
          baseline: theirs.p99,
          baselineLabel: 'nginx p99',
          ratio: ours.p99 / Math.max(theirs.p99, 1),
          target: '–',
        },
      );
    }
    return rows;
  } finally {
    nginx?.kill('SIGTERM');
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
