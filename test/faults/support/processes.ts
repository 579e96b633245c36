import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..', '..');
const orphanGuard = join(import.meta.dirname, 'orphan-guard.mjs');
/** Kept per process: enough to explain a failure without holding a whole fan-out's logs. */
const OUTPUT_LIMIT = 256 * 1024;

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** One `tsuiki serve` child process, as an operator would run it. */
export interface ServeProcess {
  readonly name: string;
  readonly pid: number;
  /** The port it logged in "tsuiki is serving" (it was started with PORT=0). */
  readonly port: number;
  readonly baseUrl: string;
  readonly exited: Promise<Exit>;
  alive(): boolean;
  /** The tail of what it wrote to stdout and stderr (pino JSON lines). */
  output(): string;
  /** Sends `signal` (default SIGKILL: no shutdown hook runs) and waits until the process is gone. */
  kill(signal?: NodeJS.Signals): Promise<Exit>;
}

/** Every child started here and not yet exited, so a failing test still leaves no orphan. */
const live = new Map<number, ChildProcess>();

process.once('exit', () => {
  for (const pid of live.keys()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

/** The environment every fault-test server gets; `env` adds to and overrides it. Nothing is inherited but PATH. */
function serveEnv(env: Record<string, string>): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'info',
    LOCALES: 'en,ja',
    TRANSLATOR: 'none',
    // Never opened with DATABASE_URL set; named so a missing DATABASE_URL cannot touch the checkout's ./data.
    DATA_DIR: join(tmpdir(), 'tsuiki-fault-no-pglite'),
    ...env,
  };
}

/**
 * Starts `node bin/tsuiki.js serve` in the checkout with its own environment and resolves
 * once it logged its port and `/readyz` answers 200. The child stays in the test runner's
 * process group (a CI timeout that kills the group kills it too) and is preloaded with a
 * guard that kills it if the runner disappears.
 */
export function startServe(name: string, env: Record<string, string>, options: { readyTimeoutMs?: number } = {}): Promise<ServeProcess> {
  const child = spawn(process.execPath, ['--import', orphanGuard, 'bin/tsuiki.js', 'serve'], {
    cwd: root,
    env: serveEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid;
  if (pid === undefined) return Promise.reject(new Error(`${name}: spawn failed`));
  live.set(pid, child);
  let output = '';
  const append = (chunk: Buffer) => {
    output += chunk.toString();
    if (output.length > OUTPUT_LIMIT * 2) output = output.slice(-OUTPUT_LIMIT);
  };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  let isAlive = true;
  const exited = new Promise<Exit>((resolve) =>
    child.once('exit', (code, signal) => {
      isAlive = false;
      live.delete(pid);
      resolve({ code, signal });
    }),
  );
  const kill = async (signal: NodeJS.Signals = 'SIGKILL') => {
    if (isAlive) child.kill(signal);
    return exited;
  };

  return new Promise<ServeProcess>((resolve, reject) => {
    const timeoutMs = options.readyTimeoutMs ?? 60_000;
    const timer = setTimeout(() => {
      void kill();
      reject(new Error(`${name}: not ready after ${timeoutMs / 1000} s\n${output.slice(-4000)}`));
    }, timeoutMs);
    void exited.then((exit) => {
      clearTimeout(timer);
      reject(new Error(`${name}: exited before it was ready (${exit.signal ?? exit.code})\n${output.slice(-4000)}`));
    });
    const onData = () => {
      const match = /"port":(\d+)[^\n]*"msg":"tsuiki is serving"/.exec(output);
      if (!match) return;
      child.stdout!.off('data', onData);
      const port = Number(match[1]);
      const baseUrl = `http://127.0.0.1:${port}`;
      void waitReady(baseUrl, () => isAlive).then(
        () => {
          clearTimeout(timer);
          resolve({ name, pid, port, baseUrl, exited, alive: () => isAlive, output: () => output, kill });
        },
        (e: unknown) => {
          clearTimeout(timer);
          void kill();
          reject(new Error(`${name}: ${(e as Error).message}\n${output.slice(-4000)}`));
        },
      );
    };
    child.stdout!.on('data', onData);
  });
}

async function waitReady(baseUrl: string, alive: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && alive(); i++) {
    const ok = await fetch(`${baseUrl}/readyz`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('/readyz never answered 200');
}

/** SIGKILLs every server started here that is still running and waits for each to be gone. */
export async function killAllServe(): Promise<void> {
  const exits = [...live.values()].map(
    (child) =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  );
  await Promise.all(exits);
}

/** PIDs of the servers started here that are still running. */
export function liveServePids(): number[] {
  return [...live.keys()];
}

/**
 * Which of `pids` hold an established TCP connection to 127.0.0.1 on one of `ports` right
 * now (Linux: /proc/net/tcp matched with each process's socket inodes). Shows that several
 * servers really took part in a fan-out: the sinks cannot tell senders apart otherwise.
 */
export function pidsConnectedTo(ports: number[], pids: number[]): number[] {
  let table: string;
  try {
    table = readFileSync('/proc/net/tcp', 'utf8');
  } catch {
    return [];
  }
  const wanted = new Set(ports.map((p) => `0100007F:${p.toString(16).toUpperCase().padStart(4, '0')}`));
  const inodes = new Set<string>();
  for (const line of table.split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    // cols: sl, local_address, rem_address, st (01 = ESTABLISHED), …, inode at 9
    if (cols.length > 9 && wanted.has(cols[2]!) && cols[3] === '01') inodes.add(cols[9]!);
  }
  return pids.filter((pid) => {
    try {
      return readdirSync(`/proc/${pid}/fd`).some((fd) => {
        try {
          const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
          return target.startsWith('socket:[') && inodes.has(target.slice(8, -1));
        } catch {
          return false;
        }
      });
    } catch {
      return false;
    }
  });
}

/** The pino JSON lines among a server's output (anything else it printed is left out). */
export function logRecords(output: string): Record<string, unknown>[] {
  return output.split('\n').flatMap((line) => {
    if (!line.startsWith('{')) return [];
    try {
      return [JSON.parse(line) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
}

/** The final fan-out summaries of one update that the servers logged (no chat platform: the reporter writes to the log). */
export function finalReports(servers: ServeProcess[], updateId: string): { server: string; msg: string }[] {
  return servers.flatMap((s) => logRecords(s.output()).filter((r) => r.updateId === updateId && r.final === true).map((r) => ({ server: s.name, msg: String(r.msg) })));
}

/**
 * Waits (up to `timeoutMs`) for the first final summary of `updateId` in the servers' logs,
 * then 2 s more so that a second one, which must not exist, would show too.
 */
export async function settledFinalReports(servers: ServeProcess[], updateId: string, timeoutMs = 15_000): Promise<{ server: string; msg: string }[]> {
  const deadline = Date.now() + timeoutMs;
  while (finalReports(servers, updateId).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  await new Promise((r) => setTimeout(r, 2_000));
  return finalReports(servers, updateId);
}
