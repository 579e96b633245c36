import { type ChildProcess, fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { SPECS_DIR } from '../test/helpers/specs.ts';
import type { TeamsProcessMessage, TeamsProcessRequest, TeamsProcessRole } from './fixtures/teams-processes.ts';
import type { BenchRow } from './run.ts';
import { closeChild, percentile, processCpuMs, withScratchPostgres } from './support.ts';

const SEQUENTIAL_TURNS = 300;
const CONVERSATIONS = 20;
const TURNS_PER_CONVERSATION = 20;
/** Concurrent rounds, echo bot and tsuiki alternating, so drift on a shared machine weighs on both. */
const ROUNDS = 3;
const CHANNEL = '19:d441d38c655c47a085215b2726e76927@thread.tacv2';

type Activity = Record<string, unknown> & { conversation: Record<string, unknown> };

const recorded = JSON.parse(readFileSync(join(SPECS_DIR, 'teams/vercel-chat-replay/teams.json'), 'utf8').replace(/^\uFEFF/, '')) as { mention: Activity };

/** The recorded channel @mention from the specs, saying `text` in `conversationId`. */
function mention(serviceUrl: string, text: string, conversationId: string, id: string): Activity {
  const activity = structuredClone(recorded.mention);
  return { ...activity, id, serviceUrl, text: `<at>Chat SDK Demo</at> ${text}`, locale: 'en-US', conversation: { ...activity.conversation, id: conversationId } };
}

async function post(url: string, activity: unknown): Promise<number> {
  const body = JSON.stringify(activity);
  const began = performance.now();
  const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
  await res.arrayBuffer();
  if (res.status >= 300) throw new Error(`${url} answered ${res.status}`);
  return performance.now() - began;
}

async function sequential(url: string, serviceUrl: string, text: (i: number) => string, tag: string): Promise<number[]> {
  const latencies: number[] = [];
  for (let i = 0; i < SEQUENTIAL_TURNS; i++) {
    latencies.push(await post(url, mention(serviceUrl, text(i), `${CHANNEL};messageid=seq`, `${tag}-seq-${i}`)));
  }
  return latencies;
}

async function concurrent(url: string, serviceUrl: string, text: (i: number) => string, tag: string): Promise<number[]> {
  const latencies: number[] = [];
  await Promise.all(
    Array.from({ length: CONVERSATIONS }, async (_, c) => {
      for (let i = 0; i < TURNS_PER_CONVERSATION; i++) {
        const activity = mention(serviceUrl, text(c * 1000 + i), `${CHANNEL};messageid=conv${c}`, `${tag}-c${c}-${i}`);
        latencies.push(await post(url, activity));
      }
    }),
  );
  return latencies;
}

interface TeamsProcess {
  url: string;
  /** CPU time (user + system) the process has used so far, in ms; NaN where /proc is not there. */
  cpuMs(): number;
  ask<T extends TeamsProcessMessage['type']>(request: TeamsProcessRequest, reply: T): Promise<Extract<TeamsProcessMessage, { type: T }>>;
  close(): Promise<void>;
}

async function startProcess(role: TeamsProcessRole, env: Record<string, string> = {}): Promise<TeamsProcess> {
  // BENCH_CPU_PROF=<dir>: tsuiki's process writes a V8 CPU profile there when it stops.
  const profile = role === 'tsuiki' && process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF] : [];
  const child: ChildProcess = fork(join(import.meta.dirname, 'fixtures', 'teams-processes.ts'), [role], {
    execArgv: ['--import', 'tsx', ...profile],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const replies: Array<(m: TeamsProcessMessage) => void> = [];
  const ready = new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${role} exited (${code}) before it was ready`)));
    replies.push((m) => (m.type === 'ready' ? resolve(m.url) : reject(new Error(`${role}: unexpected ${m.type}`))));
  });
  child.on('message', (m: TeamsProcessMessage) => replies.shift()?.(m));
  const url = await ready;
  return {
    url,
    cpuMs: () => processCpuMs(child.pid!),
    ask: (request, reply) =>
      new Promise((resolve, reject) => {
        replies.push((m) => (m.type === reply ? resolve(m as never) : reject(new Error(`${role}: expected ${reply}, got ${m.type}`))));
        child.send(request);
      }),
    close: () => closeChild(child, { type: 'close' } satisfies TeamsProcessRequest),
  };
}


const fmt = (ms: number) => (ms < 10 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : ms.toFixed(0));

/**
 * Teams command turns, sequential and across 20 conversations, on PostgreSQL, beside a bare
 * echo bot; tsuiki, the echo bot and the connector each in a process of their own.
 */
export async function run(): Promise<BenchRow[]> {
  return (
    (await withScratchPostgres(async (databaseUrl) => {
      const started: TeamsProcess[] = [];
      try {
        const connector = await startProcess('connector');
        started.push(connector);
        const ours = await startProcess('tsuiki', { BENCH_DATABASE: databaseUrl });
        started.push(ours);
        const echo = await startProcess('echo');
        started.push(echo);
        // Nothing of tsuiki's (the sends and header renders its turns queued) runs while the echo bot is measured.
        const quiet = () => ours.ask({ type: 'drain' }, 'drained');
        await post(ours.url, mention(connector.url, 'declare Benchmark incident --sev 2 --components api', `${CHANNEL};messageid=declare`, 'declare'));
        const command = (i: number) => `INC-1 update turn ${i}: error rate 12% on api`;
        const echoText = (i: number) => `turn ${i}`;
        // Warm both up: JIT, connection pools, prepared statements.
        for (let i = 0; i < 30; i++) {
          await post(echo.url, mention(connector.url, echoText(i), `${CHANNEL};messageid=warm`, `warm-echo-${i}`));
          await post(ours.url, mention(connector.url, command(i), `${CHANNEL};messageid=warm`, `warm-${i}`));
        }
        await quiet();
        const load = [loadavg()[0]!];
        const echoSeq = await sequential(echo.url, connector.url, echoText, 'echo');
        const oursSeq = await sequential(ours.url, connector.url, command, 'tsuiki');
        await quiet();
        const echoConc: number[] = [];
        const oursConc: number[] = [];
        let echoCpu = 0;
        let oursCpu = 0;
        for (let round = 0; round < ROUNDS; round++) {
          let cpu = echo.cpuMs();
          const e = await concurrent(echo.url, connector.url, echoText, `echo-r${round}`);
          echoCpu += echo.cpuMs() - cpu;
          cpu = ours.cpuMs();
          const o = await concurrent(ours.url, connector.url, command, `tsuiki-r${round}`);
          // What the turns left queued is tsuiki's work too: counted until it is done.
          await quiet();
          oursCpu += ours.cpuMs() - cpu;
          echoConc.push(...e);
          oursConc.push(...o);
          console.log(`  round ${round + 1}: 20 conversations, p99 tsuiki ${fmt(percentile(o, 0.99))} ms vs echo ${fmt(percentile(e, 0.99))} ms (${(percentile(o, 0.99) / percentile(e, 0.99)).toFixed(2)}×); median ${fmt(percentile(o, 0.5))} vs ${fmt(percentile(e, 0.5))} ms`);
        }
        load.push(loadavg()[0]!);
        const calls = await connector.ask({ type: 'calls' }, 'calls');
        console.log(`  connector: ${calls.calls} calls, ${calls.problems.length} problems; load average ${load.map((l) => l.toFixed(1)).join(' → ')}`);
        const turns = ROUNDS * CONVERSATIONS * TURNS_PER_CONVERSATION;
        const label = 'bare botbuilder echo bot, same shim and load';
        const row = (metric: string, oursMs: number[], bareMs: number[], p: number, target: string): BenchRow => ({
          metric,
          value: percentile(oursMs, p),
          unit: 'ms',
          baseline: percentile(bareMs, p),
          baselineLabel: label,
          ratio: percentile(oursMs, p) / percentile(bareMs, p),
          target,
        });
        return [
          row(`Teams turn p99, ${SEQUENTIAL_TURNS} sequential INC-n update (PostgreSQL)`, oursSeq, echoSeq, 0.99, '≤ 100 ms'),
          row(`Teams turn median, sequential`, oursSeq, echoSeq, 0.5, '–'),
          row(`Teams turn p99, ${CONVERSATIONS} concurrent conversations × ${TURNS_PER_CONVERSATION}, ${ROUNDS} rounds`, oursConc, echoConc, 0.99, '≤ 3× bare p99'),
          row(`Teams turn median, ${CONVERSATIONS} concurrent conversations`, oursConc, echoConc, 0.5, '–'),
          {
            metric: `Teams server process CPU per turn, concurrent (incl. the sends and header renders it queued)`,
            value: oursCpu / turns,
            unit: 'ms',
            baseline: echoCpu / turns,
            baselineLabel: 'bare botbuilder echo bot process, per turn',
            ratio: oursCpu / echoCpu,
            target: '–',
          },
        ];
      } finally {
        for (const p of started.reverse()) await p.close();
      }
    })) ?? []
  );
}
