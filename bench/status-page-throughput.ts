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
const THREADS = 2;
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

interface Load {
  rps: number;
  p99: number;
  errors: number;
  non2xx: number;
}

/** Milliseconds from wrk's `1.23ms` / `456.00us` / `1.01s`. */
function ms(text: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text.trim());
  if (!m) return Number.NaN;
  const n = Number(m[1]);
  return m[2] === 'us' ? n / 1000 : m[2] === 'ms' ? n : m[2] === 's' ? n * 1000 : n * 60_000;
}

/**
 * Debian's wrk (C, its own process, two threads) so the load generator costs each server the
 * same and shares no event loop with tsuiki; asynchronously, as tsuiki serves from this process.
 */
async function wrk(url: string): Promise<Load> {
  const { stdout: out } = await execFileAsync('wrk', [`-t${THREADS}`, `-c${CONNECTIONS}`, `-d${SECONDS}s`, '--latency', url], { encoding: 'utf8' });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const p99 = ms(/^\s+99%\s+(\S+)/m.exec(out)?.[1] ?? '');
  const errors = [...out.matchAll(/(connect|read|write|timeout) (\d+)/g)].reduce((sum, m) => sum + Number(m[2]), 0);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  if (!Number.isFinite(rps)) throw new Error(`wrk printed no rate for ${url}:\n${out}`);
  return { rps, p99, errors, non2xx };
}

/** A bare Node HTTP server answering the same bytes and headers' worth, in a process of its own. */
function startBareNode(root: string, port: number): ChildProcess {
  const script = join(root, 'bare.mjs');
  writeFileSync(
    script,
    `import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
const files = new Map(${JSON.stringify(PATHS.map((p) => [p.path, { file: join(root, p.file), type: p.type }]))}.map(([path, f]) => [path, { body: readFileSync(f.file), type: f.type }]));
createServer((req, res) => {
  const f = files.get(req.url);
  if (!f) return void res.writeHead(404).end();
  res.writeHead(200, { 'Content-Type': f.type, 'Content-Length': f.body.length });
  res.end(f.body);
}).listen(${port}, '127.0.0.1');
`,
  );
  return spawn(process.execPath, [script], { stdio: 'ignore' });
}

function hasWrk(): boolean {
  try {
    execFileSync('wrk', ['-v'], { stdio: 'ignore' });
    return true;
  } catch (e) {
    // wrk -v prints its version and exits 1
    return (e as { status?: number }).status === 1;
  }
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

/**
 * `/status` and `/api/v2/summary.json` under 64 connections (wrk -t2 -c64), beside nginx
 * (one worker) and a bare Node server serving the same bytes, all in the same run.
 */
export async function run(): Promise<BenchRow[]> {
  if (!hasNginx() || !hasWrk()) {
    console.log('  status-page-throughput: skipped, needs nginx and wrk (apt-get install nginx-light wrk)');
    return [];
  }
  const dir = mkdtempSync(join(tmpdir(), 'tsuiki-bench-status-'));
  // nginx's worker runs as an unprivileged user when started as root: it must be able to read the files.
  chmodSync(dir, 0o755);
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: join(dir, 'data'), LOG_LEVEL: 'silent', LOCALES: 'en,ja' });
  const server = await startServer(config, createLogger({ level: 'silent' }));
  let nginx: ChildProcess | undefined;
  let bare: ChildProcess | undefined;
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
    // Wait until the page shows the published updates, then copy its exact bytes for nginx and bare Node.
    for (let i = 0; i < 100; i++) {
      if ((await (await fetch(`${base}/status`)).text()).includes('Most new API traffic')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    for (const p of PATHS) writeFileSync(join(root, p.file), Buffer.from(await (await fetch(`${base}${p.path}`, { headers: { 'Accept-Encoding': 'identity' } })).arrayBuffer()));
    const nginxPort = await freePort();
    nginx = startNginx(root, nginxPort);
    await waitFor(`http://127.0.0.1:${nginxPort}/status`).catch((e: unknown) => {
      throw new Error(`nginx: ${e instanceof Error ? e.message : String(e)}: ${readFileSync(join(root, 'error.log'), 'utf8')}`);
    });
    const barePort = await freePort();
    bare = startBareNode(root, barePort);
    await waitFor(`http://127.0.0.1:${barePort}/status`);

    const rows: BenchRow[] = [];
    for (const p of PATHS) {
      await wrk(`${base}${p.path}`); // warm-up: JIT and the render cache
      const ours = await wrk(`${base}${p.path}`);
      const viaNginx = await wrk(`http://127.0.0.1:${nginxPort}${p.path}`);
      const viaNode = await wrk(`http://127.0.0.1:${barePort}${p.path}`);
      if (ours.errors || ours.non2xx) throw new Error(`${p.path}: ${ours.errors} socket errors, ${ours.non2xx} non-2xx`);
      rows.push(
        {
          metric: `GET ${p.path}, wrk -t${THREADS} -c${CONNECTIONS}`,
          value: Math.round(ours.rps),
          unit: 'req/s',
          baseline: Math.round(viaNginx.rps),
          baselineLabel: 'nginx, same bytes as static files (1 worker)',
          ratio: ours.rps / viaNginx.rps,
          target: '≥ 0.5× nginx',
        },
        {
          metric: `GET ${p.path}, wrk -t${THREADS} -c${CONNECTIONS}`,
          value: Math.round(ours.rps),
          unit: 'req/s',
          baseline: Math.round(viaNode.rps),
          baselineLabel: 'bare Node http server, same bytes',
          ratio: ours.rps / viaNode.rps,
          target: '≥ 0.7× bare Node',
        },
        {
          metric: `GET ${p.path} p99 latency`,
          value: ours.p99,
          unit: 'ms',
          baseline: viaNginx.p99,
          baselineLabel: `nginx p99 (bare Node ${viaNode.p99} ms)`,
          ratio: ours.p99 / Math.max(viaNginx.p99, 0.001),
          target: '–',
        },
      );
    }
    return rows;
  } finally {
    nginx?.kill('SIGTERM');
    bare?.kill('SIGTERM');
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
