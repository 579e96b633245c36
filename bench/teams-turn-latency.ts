import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createCloudAdapter, processNodeRequest } from '../src/chat/teams/teams-adapter.ts';
import { teamsPart } from '../src/chat/teams/teams-part.ts';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/logger.ts';
import { buildServer } from '../src/main.ts';
import { openRuntime } from '../src/runtime.ts';
import { ConnectorServer } from '../test/helpers/teams/connector-server.ts';
import { SPECS_DIR } from '../test/helpers/specs.ts';
import type { BenchRow } from './run.ts';
import { percentile, withScratchPostgres } from './support.ts';

const SEQUENTIAL_TURNS = 300;
const CONVERSATIONS = 20;
const TURNS_PER_CONVERSATION = 20;
const CHANNEL = '19:d441d38c655c47a085215b2726e76927@thread.tacv2';

type Activity = Record<string, unknown> & { conversation: Record<string, unknown> };

/** The recorded channel @mention from the specs, saying `text` in `conversationId`. */
function mention(serviceUrl: string, text: string, conversationId: string, id: string): Activity {
  const recorded = JSON.parse(readFileSync(join(SPECS_DIR, 'teams/vercel-chat-replay/teams.json'), 'utf8').replace(/^\uFEFF/, '')) as {
    mention: Activity;
  };
  const activity = structuredClone(recorded.mention);
  return { ...activity, id, serviceUrl, text: `<at>Chat SDK Demo</at> ${text}`, locale: 'en-US', conversation: { ...activity.conversation, id: conversationId } };
}

async function post(url: string, activity: unknown): Promise<number> {
  const began = performance.now();
  const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(activity) });
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

/** A bare botbuilder echo bot on the same shim: the floor of a Teams turn on this machine. */
async function startEchoBot(): Promise<{ url: string; stop(): Promise<void> }> {
  const adapter = createCloudAdapter({}, createLogger({ level: 'silent' }));
  const handler = processNodeRequest(adapter, async (context) => {
    await context.sendActivity(`echo: ${context.activity.text ?? ''}`);
  });
  const server: Server = createServer((req, res) => void handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/messages`,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Teams command turns, sequential and across 20 conversations, on PostgreSQL, beside a bare echo bot. */
export async function run(): Promise<BenchRow[]> {
  return (
    (await withScratchPostgres(async (databaseUrl) => {
      const runtime = await openRuntime(loadConfig({ DATABASE_URL: databaseUrl, LOCALES: 'en,ja', TEAM_TIME_ZONE: 'Asia/Tokyo', LOG_LEVEL: 'silent' }));
      const server = await buildServer(runtime, { parts: [teamsPart({ enableWithoutAppId: true })], port: 0, host: '127.0.0.1' }).catch(async (e: unknown) => {
        await runtime.close();
        throw e;
      });
      const connector = await new ConnectorServer().start();
      const echo = await startEchoBot();
      const url = `http://127.0.0.1:${server.port}/api/messages`;
      try {
        await post(url, mention(connector.url, 'declare Benchmark incident --sev 2 --components api', `${CHANNEL};messageid=declare`, 'declare'));
        const command = (i: number) => `INC-1 update turn ${i}: error rate 12% on api`;
        const echoText = (i: number) => `turn ${i}`;
        // Warm both up: JIT, connection pools, prepared statements.
        for (let i = 0; i < 30; i++) {
          await post(echo.url, mention(connector.url, echoText(i), `${CHANNEL};messageid=warm`, `warm-echo-${i}`));
          await post(url, mention(connector.url, command(i), `${CHANNEL};messageid=warm`, `warm-${i}`));
        }
        const echoSeq = await sequential(echo.url, connector.url, echoText, 'echo');
        const oursSeq = await sequential(url, connector.url, command, 'tsuiki');
        const echoConc = await concurrent(echo.url, connector.url, echoText, 'echo');
        const oursConc = await concurrent(url, connector.url, command, 'tsuiki');
        const row = (metric: string, ours: number[], bare: number[], target: string): BenchRow => ({
          metric,
          value: percentile(ours, 0.99),
          unit: 'ms',
          baseline: percentile(bare, 0.99),
          baselineLabel: 'bare botbuilder echo bot, same shim and load',
          ratio: percentile(ours, 0.99) / percentile(bare, 0.99),
          target,
        });
        return [
          row(`Teams turn p99, ${SEQUENTIAL_TURNS} sequential INC-n update (PostgreSQL)`, oursSeq, echoSeq, '≤ 100 ms'),
          { ...row(`Teams turn median, sequential`, oursSeq, echoSeq, '–'), value: percentile(oursSeq, 0.5), baseline: percentile(echoSeq, 0.5), ratio: percentile(oursSeq, 0.5) / percentile(echoSeq, 0.5) },
          row(`Teams turn p99, ${CONVERSATIONS} concurrent conversations × ${TURNS_PER_CONVERSATION}`, oursConc, echoConc, '–'),
        ];
      } finally {
        await server.stop();
        await echo.stop();
        await connector.stop();
      }
    })) ?? []
  );
}
