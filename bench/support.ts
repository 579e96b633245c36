import { type ChildProcess, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { type Config, loadConfig } from '../src/config.ts';
import { type Database, rowsOf } from '../src/db/client.ts';
import { createLogger } from '../src/logger.ts';
import { type Server, startServer } from '../src/main.ts';
import { FakeSlack } from '../test/helpers/slack/fake-slack.ts';
import type { BenchRow } from './run.ts';

/** A run that measured but is not valid (work missing, a target's condition unmet): the runner prints its rows and fails. */
export class BenchFailure extends Error {
  constructor(
    message: string,
    readonly rows: BenchRow[],
  ) {
    super(message);
    this.name = 'BenchFailure';
  }
}

/** Each measured phase stops taking new work after this long, so a slow machine still finishes. */
export const PHASE_LIMIT_MS = 20_000;
const DEFAULT_SERVER_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

export interface Phase {
  done: number;
  elapsedMs: number;
  latenciesMs: number[];
  stoppedEarly: boolean;
}

/**
 * Runs `fn` on a PostgreSQL database created for it and dropped afterwards. The server is
 * BENCH_DATABASE_URL, else TEST_DATABASE_URL, else the local default; undefined (with a
 * note) only when the guessed local default does not answer.
 */
export async function withScratchPostgres<T>(fn: (url: string) => Promise<T>): Promise<T | undefined> {
  const givenUrl = process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL || undefined;
  const serverUrl = givenUrl ?? DEFAULT_SERVER_URL;
  const maintenanceUrl = withDatabase(serverUrl, 'postgres');
  const admin = postgres(maintenanceUrl, { max: 1, connect_timeout: 3, onnotice: () => {} });
  const name = `tsuiki_bench_${randomBytes(6).toString('hex')}`;
  try {
    try {
      await admin`select 1`;
    } catch (e) {
      // A server someone named must answer; only the guessed local default may be absent.
      if (givenUrl) throw new Error(`${redact(maintenanceUrl)} did not answer: ${e instanceof Error ? e.message : String(e)}`);
      console.log(`  postgres: skipped, ${redact(maintenanceUrl)} did not answer (${e instanceof Error ? e.message : String(e)})`);
      return undefined;
    }
    await admin.unsafe(`create database "${name}"`);
    try {
      return await fn(withDatabase(serverUrl, name));
    } finally {
      await admin.unsafe(`drop database if exists "${name}" with (force)`);
    }
  } finally {
    await admin.end({ timeout: 5 });
  }
}

/** Runs `op(0..count-1)` with `concurrency` workers until done or the phase limit; times each op. */
export async function measure(op: (i: number) => Promise<void>, count: number, concurrency: number): Promise<Phase> {
  const latenciesMs: number[] = [];
  const start = performance.now();
  const deadline = start + PHASE_LIMIT_MS;
  let next = 0;
  let failure: unknown;
  const worker = async () => {
    while (next < count && failure === undefined && performance.now() < deadline) {
      const i = next++;
      const began = performance.now();
      try {
        await op(i);
      } catch (e) {
        failure ??= e;
        return;
      }
      latenciesMs.push(performance.now() - began);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  if (failure !== undefined) throw failure;
  const elapsedMs = performance.now() - start;
  return { done: latenciesMs.length, elapsedMs, latenciesMs, stoppedEarly: latenciesMs.length < count };
}

export function perSecond(phase: Phase): number {
  return phase.done / (phase.elapsedMs / 1000);
}

/** Nearest-rank percentile. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
}

export async function serverVersion(database: Database): Promise<string> {
  const [row] = rowsOf<{ v: string }>(await database.db.execute(sql`select current_setting('server_version') as v`));
  return row?.v.split(' ')[0] ?? '?';
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

function redact(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

/** The Slack identity the Slack benchmarks sign as and speak for. */
export const BENCH_SLACK = { signingSecret: 'bench-signing-secret-0123456789ab', botToken: 'xoxb-bench', user: 'UBENCH1' } as const;

/** The configuration of `tsuiki serve` for a Slack team, on PostgreSQL at `databaseUrl`, Slack's Web API at `slackApiUrl`. */
export function slackServerConfig(databaseUrl: string, slackApiUrl: string): Config {
  return loadConfig({
    DATABASE_URL: databaseUrl,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    SLACK_BOT_TOKEN: BENCH_SLACK.botToken,
    SLACK_SIGNING_SECRET: BENCH_SLACK.signingSecret,
    SLACK_API_URL: slackApiUrl,
    INCIDENTS_CHANNEL: 'CINCIDENTS',
  });
}

/**
 * `tsuiki serve` as a Slack team runs it, on PostgreSQL at `databaseUrl`, its Web API calls
 * answered by a local fake Slack; both stop with `stop()`.
 */
export async function startSlackServer(databaseUrl: string, logLevel = 'silent'): Promise<{ server: Server; fake: FakeSlack; stop(): Promise<void> }> {
  const fake = await new FakeSlack({ token: BENCH_SLACK.botToken, users: { [BENCH_SLACK.user]: { locale: 'en-US', name: 'bench' } } }).start();
  const server = await startServer(slackServerConfig(databaseUrl, fake.apiUrl), createLogger({ level: logLevel as never }));
  return {
    server,
    fake,
    async stop() {
      await server.stop();
      await fake.stop();
    },
  };
}

let clockTicks: number | undefined;

/** User + system CPU time of a process so far, in ms, from /proc/<pid>/stat; NaN without /proc. */
export function processCpuMs(pid: number): number {
  try {
    clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after "pid (comm) ": state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) / clockTicks) * 1000;
  } catch {
    return Number.NaN;
  }
}

/** Asks a benchmark's child process to close, and kills it if it has not exited 15 s later. */
export function closeChild(child: ChildProcess, closeMessage: object): Promise<void> {
  return new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.send(closeMessage);
  });
}
