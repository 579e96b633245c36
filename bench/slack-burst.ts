import { type ChildProcess, execFileSync, fork, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { signatureHeaders, slashCommandRequest } from '../test/helpers/slack/requests.ts';
import type { SlackProcessMessage, SlackProcessRequest, SlackProcessRole } from './fixtures/slack-processes.ts';
import type { BenchRow } from './run.ts';
import { BENCH_SLACK, BenchFailure, closeChild, percentile, processCpuMs, withScratchPostgres } from './support.ts';

/** Concurrent connections of the load generator; one Slack user each. */
const CONNECTIONS = 50;
const REQUESTS = 2_000;
/** Per server, before the measured burst; not timed (4 a connection). */
const WARMUP = 200;
/** Target: every command recorded this soon after the last ack. */
const RECORDED_TARGET_MS = 10_000;
/** Polling for the recorded notes gives up (and the run fails) after this long. */
const RECORDED_LIMIT_MS = 60_000;
const POLL_MS = 50;
/** One wrk run stops with an error after this long. */
const WRK_LIMIT_MS = 120_000;
const LUA = join(import.meta.dirname, 'fixtures', 'slack-burst.lua');
const { signingSecret: SIGNING_SECRET } = BENCH_SLACK;
/** The Slack users of the burst, one per connection: `UBURST000` … */
const USERS = Array.from({ length: CONNECTIONS }, (_, i) => `UBURST${String(i).padStart(3, '0')}`);

/** A child process of bench/fixtures/slack-processes.ts, asked over IPC. */
interface SlackProcess {
  url: string;
  /** CPU time (user + system) the process has used so far, in ms; NaN where /proc is not there. */
  cpuMs(): number;
  ask<T extends SlackProcessMessage['type']>(request: SlackProcessRequest & { type: T }): Promise<Extract<SlackProcessMessage, { type: T }>>;
  close(): Promise<void>;
}

async function startProcess(role: SlackProcessRole, env: Record<string, string> = {}): Promise<SlackProcess> {
  // BENCH_CPU_PROF=<dir>: tsuiki's process writes a V8 CPU profile there when it stops.
  const profile = role === 'tsuiki' && process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF] : [];
  const child: ChildProcess = fork(join(import.meta.dirname, 'fixtures', 'slack-processes.ts'), [role], {
    execArgv: ['--import', 'tsx', ...profile],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const replies: Array<(m: SlackProcessMessage) => void> = [];
  const ready = new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${role} exited (${code}) before it was ready`)));
    replies.push((m) => (m.type === 'ready' ? resolve(m.url) : reject(new Error(`${role}: unexpected ${m.type}`))));
  });
  child.on('message', (m: SlackProcessMessage) => replies.shift()?.(m));
  const url = await ready;
  return {
    url,
    cpuMs: () => processCpuMs(child.pid!),
    ask: (request) =>
      new Promise((resolve) => {
        replies.push((m) => resolve(m as never));
        child.send(request);
      }),
    close: () => closeChild(child, { type: 'close' } satisfies SlackProcessRequest),
  };
}


/** `wrk` on the PATH, or an error that says how to get it. */
function wrkPath(): string {
  try {
    return execFileSync('sh', ['-c', 'command -v wrk'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error('slack-burst needs wrk on the PATH (Debian/Ubuntu: apt-get install -y wrk)');
  }
}

/** What one thread of the wrk script reported (bench/fixtures/slack-burst.lua). */
interface ThreadReport {
  tid: number;
  requests: number;
  reserved: number;
  calls: number;
  received: number;
  non200: number;
  firstUs: number;
  lastUs: number;
  latencyUs: number[];
}

interface Burst {
  sent: number;
  latenciesMs: number[];
  /** CLOCK_MONOTONIC µs (process.hrtime's clock) of the first request sent and the last response received. */
  firstUs: number;
  lastUs: number;
  /** Requests per second from the first request sent to the last ack. */
  rate: number;
}

/**
 * Writes `count` distinct signed `/incident update <tag>-<i>: …` commands to a data file
 * (signed now: Slack's signature is valid for 5 minutes) and has wrk send each exactly once
 * over CONNECTIONS connections; request i comes from user i mod CONNECTIONS, on connection
 * i mod CONNECTIONS, so one person's commands go one after another, in order.
 */
async function burst(wrk: string, dir: string, url: string, channelId: string, fakeSlackUrl: string, tag: string, count: number): Promise<Burst> {
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const request = slashCommandRequest({
      text: `update ${tag}-${i}: error rate 12% on api`,
      userId: USERS[i % CONNECTIONS]!,
      userName: USERS[i % CONNECTIONS]!.toLowerCase(),
      channelId,
      responseUrl: `${fakeSlackUrl}/response/${tag}-${i}`,
    });
    const headers = signatureHeaders(request.body, SIGNING_SECRET);
    lines.push(`${headers['X-Slack-Request-Timestamp']}\t${headers['X-Slack-Signature']}\t${request.body}`);
  }
  const file = join(dir, `${tag}.tsv`);
  writeFileSync(file, `${lines.join('\n')}\n`);

  // -t = -c: one connection per wrk thread, so the script pairs each request with its response.
  const child = spawn(wrk, [`-t${CONNECTIONS}`, `-c${CONNECTIONS}`, '-d600s', '--timeout', '60s', '-s', LUA, url, file, String(CONNECTIONS)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const reports: ThreadReport[] = [];
  let stdout = '';
  let stderr = '';
  let pending = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const allReported = new Promise<void>((resolve) => {
    child.stderr!.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        if (line.startsWith('BURST ')) reports.push(JSON.parse(line.slice('BURST '.length)) as ThreadReport);
        else stderr += `${line}\n`;
      }
      if (reports.length === CONNECTIONS) resolve();
    });
  });
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    allReported.then(() => 'done' as const),
    exited.then(() => 'exited' as const),
    new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), WRK_LIMIT_MS))),
  ]);
  clearTimeout(timer);
  // wrk's main thread sleeps for -d; SIGINT ends the sleep, and it prints its summary and done().
  child.kill('SIGINT');
  await exited;
  if (outcome !== 'done') {
    throw new Error(`wrk ${outcome === 'timeout' ? `did not finish within ${WRK_LIMIT_MS / 1000} s` : 'exited early'}: ${reports.length}/${CONNECTIONS} threads done; ${stderr.trim()} ${stdout.trim()}`);
  }
  const summary = JSON.parse(stdout.split('\n').find((l) => l.startsWith('{')) ?? 'null') as { wrkRequests: number; errors: Record<string, number> } | null;
  if (!summary) throw new Error(`wrk printed no summary: ${stdout}`);

  const sent = reports.reduce((n, r) => n + r.reserved, 0);
  const received = reports.reduce((n, r) => n + r.received, 0);
  // request() runs once more than requests were sent on thread 0 only (wrk checks the script's first request).
  const resent = reports.reduce((n, r) => n + r.calls - r.reserved - (r.tid === 0 ? 1 : 0), 0);
  const non200 = reports.reduce((n, r) => n + r.non200, 0);
  const errors = Object.entries(summary.errors).filter(([, n]) => n > 0);
  const problems = [
    sent !== count && `${sent} requests sent, expected ${count}`,
    received !== count && `${received} responses, expected ${count}`,
    summary.wrkRequests !== count && `wrk counted ${summary.wrkRequests} requests, expected ${count}`,
    resent !== 0 && `${resent} requests sent again (reconnects)`,
    non200 !== 0 && `${non200} answers were not 200`,
    errors.length > 0 && `wrk errors ${JSON.stringify(Object.fromEntries(errors))}`,
  ].filter(Boolean);
  if (problems.length > 0) throw new Error(`slack-burst: ${url}: ${problems.join('; ')}`);

  const firstUs = Math.min(...reports.map((r) => r.firstUs));
  const lastUs = Math.max(...reports.map((r) => r.lastUs));
  return {
    sent,
    latenciesMs: reports.flatMap((r) => r.latencyUs.map((us) => us / 1000)),
    firstUs,
    lastUs,
    rate: count / ((lastUs - firstUs) / 1e6),
  };
}

const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * 2,000 signed `/incident update` commands from 50 connections at once (wrk) to `tsuiki serve`
 * on PostgreSQL: the ack latency beside a bare Bolt app under the same load, and how long after
 * the last ack every command is recorded.
 */
export async function run(): Promise<BenchRow[]> {
  const wrk = wrkPath();
  return (
    (await withScratchPostgres(async (databaseUrl) => {
      const dir = mkdtempSync(join(tmpdir(), 'tsuiki-bench-slack-burst-'));
      const started: SlackProcess[] = [];
      const db = postgres(databaseUrl, { max: 1, onnotice: () => {} });
      try {
        const fake = await startProcess('fake-slack', { BENCH_SLACK_USERS: USERS.join(',') });
        started.push(fake);
        const tsuiki = await startProcess('tsuiki', { BENCH_DATABASE: databaseUrl, BENCH_SLACK_API_URL: `${fake.url}/api/` });
        started.push(tsuiki);
        const bare = await startProcess('bare-bolt');
        started.push(bare);

        // The incident the burst updates, declared as Slack sends it; its channel is where people type.
        const declare = slashCommandRequest({ text: 'declare Burst benchmark incident --sev 2 --components api', userId: BENCH_SLACK.user, channelId: 'CGENERAL', responseUrl: `${fake.url}/response/declare` });
        const res = await fetch(tsuiki.url, { method: 'POST', headers: { 'Content-Type': declare.contentType, ...signatureHeaders(declare.body, SIGNING_SECRET) }, body: declare.body });
        await res.arrayBuffer();
        let channelId: string | undefined;
        for (let i = 0; i < 200 && !channelId; i++) {
          channelId = Object.entries((await fake.ask({ type: 'channels' })).channels).find(([name]) => name.startsWith('inc-'))?.[1];
          if (!channelId) await sleep(50);
        }
        if (!channelId) throw new Error('the declare did not open an incident channel');

        const recorded = async (tag: string) => {
          const [row] = await db<{ n: number; d: number }[]>`
            select count(*)::int as n, count(distinct text)::int as d from timeline_entry where kind = 'note' and text like ${`${tag}-%`}`;
          return row!;
        };
        const runId = `b${Date.now().toString(36)}`;

        // Warm-up of both servers (JIT, connection pools, the users' look-ups), then nothing running.
        await burst(wrk, dir, bare.url, channelId, fake.url, `${runId}warmbare`, WARMUP);
        await burst(wrk, dir, tsuiki.url, channelId, fake.url, `${runId}warm`, WARMUP);
        for (let waited = 0; (await recorded(`${runId}warm`)).n < WARMUP; waited += POLL_MS) {
          if (waited > RECORDED_LIMIT_MS) throw new Error('the warm-up commands were not recorded');
          await sleep(POLL_MS);
        }

        // Other work on the machine weighs on every row here: it is printed with them.
        const loadBefore = loadavg().map((l) => l.toFixed(2)).join(' ');
        const bareCpuStart = bare.cpuMs();
        const baseline = await burst(wrk, dir, bare.url, channelId, fake.url, `${runId}bare`, REQUESTS);
        const bareCpuMs = bare.cpuMs() - bareCpuStart;
        const tag = `${runId}burst`;
        const callsBefore = (await fake.ask({ type: 'calls' })).byMethod;
        const tsuikiCpuStart = tsuiki.cpuMs();
        const ours = await burst(wrk, dir, tsuiki.url, channelId, fake.url, tag, REQUESTS);

        // From the last ack until all 2,000 notes are there, polled every 50 ms; each poll also
        // samples what tsuiki's database connections are doing (a diagnosis, printed below).
        const activity = { polls: 0, active: 0, lockWaits: 0 };
        const sampleActivity = async () => {
          const [a] = await db<{ active: number; lock: number }[]>`
            select count(*) filter (where state <> 'idle')::int as active, count(*) filter (where wait_event_type = 'Lock')::int as lock
            from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`;
          activity.polls++;
          activity.active += a!.active;
          activity.lockWaits += a!.lock;
        };
        let seen = await recorded(tag);
        let seenAtUs = monotonicUs();
        while (seen.n < REQUESTS && seenAtUs - ours.lastUs < RECORDED_LIMIT_MS * 1000) {
          await sampleActivity();
          await sleep(POLL_MS);
          seen = await recorded(tag);
          seenAtUs = monotonicUs();
        }
        // tsuiki's process from the first request until the notes were seen: the ack and the processing.
        const tsuikiCpuMs = tsuiki.cpuMs() - tsuikiCpuStart;
        const missed = seen.n < REQUESTS;
        const recordedMs = (seenAtUs - ours.lastUs) / 1000;
        const recordedRate = seen.n / ((seenAtUs - ours.firstUs) / 1e6);

        // What the burst's processing asked of Slack (replies in the channel, or by response_url).
        const callsAfter = (await fake.ask({ type: 'calls' })).byMethod;
        const slackCalls = Object.entries(callsAfter)
          .map(([method, n]) => [method, n - (callsBefore[method] ?? 0)] as const)
          .filter(([, n]) => n > 0)
          .map(([method, n]) => `${method} ${n}`)
          .join(', ');
        const inbox = await db<{ state: string; n: number }[]>`select state, count(*)::int as n from inbox group by state order by state`;
        const inboxStates = Object.fromEntries(inbox.map((r) => [r.state, r.n]));
        // Where the time went, as the inbox saw it: stored → done, per request and for the burst.
        const [spread] = await db<{ span: number; p50: number; p99: number }[]>`
          select extract(epoch from max(done_at) - min(received_at))::float8 * 1000 as span,
                 (percentile_cont(0.5) within group (order by extract(epoch from done_at - received_at)))::float8 * 1000 as p50,
                 (percentile_cont(0.99) within group (order by extract(epoch from done_at - received_at)))::float8 * 1000 as p99
          from inbox where state = 'done' and payload->>'text' like ${`update ${tag}-%`}`;

        const label = `${REQUESTS.toLocaleString('en-US')} signed /incident update, ${CONNECTIONS} connections, PostgreSQL`;
        const bareLabel = 'bare Bolt app that only acks, same wrk script';
        const p = (b: Burst, q: number) => percentile(b.latenciesMs, q);
        const rows: BenchRow[] = [
          { metric: `slack burst: ack p99 (${label})`, value: p(ours, 0.99), unit: 'ms', baseline: p(baseline, 0.99), baselineLabel: bareLabel, ratio: p(ours, 0.99) / p(baseline, 0.99), target: '≤ 2× bare Bolt p99' },
          { metric: `slack burst: ack p50 (${label})`, value: p(ours, 0.5), unit: 'ms', baseline: p(baseline, 0.5), baselineLabel: bareLabel, ratio: p(ours, 0.5) / p(baseline, 0.5), target: '–' },
          { metric: `slack burst: ack throughput (${label})`, value: ours.rate, unit: 'req/s', baseline: baseline.rate, baselineLabel: bareLabel, ratio: ours.rate / baseline.rate, target: '–' },
          {
            metric: `slack burst: recorded after last ack (${seen.n.toLocaleString('en-US')} of ${REQUESTS.toLocaleString('en-US')} notes${missed ? `, MISSED: gave up after ${RECORDED_LIMIT_MS / 1000} s` : ''})`,
            value: recordedMs,
            unit: 'ms',
            target: `≤ ${RECORDED_TARGET_MS.toLocaleString('en-US')} ms`,
          },
          {
            // CPU time does not stretch when other work shares the machine, unlike every latency here.
            metric: `slack burst: server process CPU per command (tsuiki: ack + processing, per note recorded)`,
            value: tsuikiCpuMs / Math.max(1, seen.n),
            unit: 'ms',
            baseline: bareCpuMs / baseline.sent,
            baselineLabel: 'bare Bolt, per ack',
            ratio: tsuikiCpuMs / Math.max(1, seen.n) / (bareCpuMs / baseline.sent),
            target: '–',
          },
          { metric: `slack burst: recorded throughput (first request sent → last of the ${seen.n.toLocaleString('en-US')} notes seen)`, value: recordedRate, unit: 'cmd/s', target: '–' },
        ];
        console.log(
          `  slack-burst: wrk sent ${baseline.sent} to bare Bolt and ${ours.sent} to tsuiki, each once (all answered 200); ` +
            `recorded ${seen.n} notes (${seen.d} distinct); Slack calls since the burst began: ${slackCalls || 'none'}; inbox ${JSON.stringify(inboxStates)}; ` +
            `stored → done p50 ${Math.round(spread?.p50 ?? NaN)} ms, p99 ${Math.round(spread?.p99 ?? NaN)} ms, first stored → last done ${Math.round(spread?.span ?? NaN)} ms; ` +
            (activity.polls > 0
              ? `while waiting for the notes, tsuiki's database connections: ${(activity.active / activity.polls).toFixed(1)} busy, ${(activity.lockWaits / activity.polls).toFixed(1)} of them waiting on a lock (mean of ${activity.polls} samples); `
              : '') +
            `load average ${loadBefore} before the bursts, ${loadavg().map((l) => l.toFixed(2)).join(' ')} after`,
        );
        const problems = [
          missed && `${seen.n} of ${REQUESTS} commands recorded ${RECORDED_LIMIT_MS / 1000} s after the last ack`,
          !missed && seen.d !== REQUESTS && `${seen.n} notes recorded but ${seen.d} distinct, expected ${REQUESTS}`,
          !missed && seen.n !== REQUESTS && `${seen.n} notes recorded, expected exactly ${REQUESTS}`,
          (inboxStates.dead ?? 0) > 0 && `${inboxStates.dead} stored requests dead`,
        ].filter(Boolean);
        if (problems.length > 0) throw new BenchFailure(`slack-burst: ${problems.join('; ')}`, rows);
        return rows;
      } finally {
        await db.end({ timeout: 5 });
        for (const p of started.reverse()) await p.close();
        rmSync(dir, { recursive: true, force: true });
      }
    })) ?? []
  );
}
