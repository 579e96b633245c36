import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { App, HTTPReceiver, LogLevel } from '@slack/bolt';
import { sql } from 'drizzle-orm';
import { rowsOf } from '../src/db/client.ts';
import { signatureHeaders, slashCommandRequest } from '../test/helpers/slack/requests.ts';
import type { BenchRow } from './run.ts';
import { BENCH_SLACK, type Phase, percentile, perSecond, startSlackServer, withScratchPostgres } from './support.ts';

const CONCURRENCY = 50;
const REQUESTS = 2_000;
const WARMUP = 200;
const PHASE_LIMIT_MS = 20_000;
const { signingSecret: SIGNING_SECRET, botToken: BOT_TOKEN, user: USER } = BENCH_SLACK;

/** Sends `count` signed `/incident update` commands, `CONCURRENCY` at a time, timing each ack. */
async function load(url: string, channelId: string, responseUrl: string, count: number, tag: string): Promise<Phase> {
  const latenciesMs: number[] = [];
  const start = performance.now();
  const deadline = start + PHASE_LIMIT_MS;
  let next = 0;
  const worker = async () => {
    while (next < count && performance.now() < deadline) {
      const i = next++;
      const request = slashCommandRequest({ text: `update ${tag} ${i}: error rate 12% on api`, userId: USER, channelId, responseUrl });
      const began = performance.now();
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'Content-Type': request.contentType, ...signatureHeaders(request.body, SIGNING_SECRET) },
        body: request.body,
      });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
      latenciesMs.push(performance.now() - began);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return { done: latenciesMs.length, elapsedMs: performance.now() - start, latenciesMs, stoppedEarly: latenciesMs.length < count };
}

/** A Bolt app that only acknowledges `/incident`: the floor any Slack app on this machine can reach. */
async function startBareBolt(): Promise<{ url: string; stop(): Promise<void> }> {
  const receiver = new HTTPReceiver({ signingSecret: SIGNING_SECRET, endpoints: '/slack/events', processBeforeResponse: false, logLevel: LogLevel.ERROR });
  const app = new App({ receiver, authorize: async () => ({ botToken: BOT_TOKEN, botUserId: 'UBOT' }), logLevel: LogLevel.ERROR });
  app.command('/incident', async ({ ack }) => {
    await ack();
  });
  const server = (await app.start(0)) as Server;
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`, stop: async () => {
      await app.stop();
    },
  };
}

/** `/incident update` ack latency at 50 concurrent signed requests on PostgreSQL, beside a bare Bolt app. */
export async function run(): Promise<BenchRow[]> {
  return (
    (await withScratchPostgres(async (databaseUrl) => {
      const { server, fake, stop } = await startSlackServer(databaseUrl);
      const bare = await startBareBolt();
      try {
        const url = `http://127.0.0.1:${server.port}/slack/events`;
        const responseUrl = fake.responseUrl('bench');
        const declare = slashCommandRequest({ text: 'declare Benchmark incident --sev 2 --components api', userId: USER, channelId: 'CGENERAL', responseUrl });
        await fetch(url, { method: 'POST', headers: { 'Content-Type': declare.contentType, ...signatureHeaders(declare.body, SIGNING_SECRET) }, body: declare.body });
        let channelId: string | undefined;
        for (let i = 0; i < 100 && !channelId; i++) {
          channelId = [...fake.channels.entries()].find(([name]) => name.startsWith('inc-'))?.[1];
          if (!channelId) await new Promise((r) => setTimeout(r, 50));
        }
        if (!channelId) throw new Error('the declare did not open an incident channel');

        await load(bare.url, channelId, responseUrl, WARMUP, 'warm');
        await load(url, channelId, responseUrl, WARMUP, 'warm');
        const baseline = await load(bare.url, channelId, responseUrl, REQUESTS, 'bare');
        const ours = await load(url, channelId, responseUrl, REQUESTS, 'tsuiki');
        // An ack is only worth measuring if the work behind it happened: every update must land.
        const recorded = async () =>
          Number(rowsOf<{ n: number }>(await server.runtime.database.db.execute(sql`select count(*)::int as n from timeline_entry where kind = 'note' and text like 'tsuiki %'`))[0]?.n);
        const drainStart = performance.now();
        let landed = await recorded();
        while (landed < ours.done && performance.now() - drainStart < 120_000) {
          await new Promise((r) => setTimeout(r, 200));
          landed = await recorded();
        }
        if (landed !== ours.done) throw new Error(`${ours.done} commands acknowledged, ${landed} recorded`);
        const drainMs = performance.now() - drainStart;
        const label = `${CONCURRENCY} concurrent signed /incident update, PostgreSQL`;
        const bareLabel = 'bare Bolt app that only acks, same load generator';
        return [
          { metric: `Slack ack median (${label})`, value: percentile(ours.latenciesMs, 0.5), unit: 'ms', baseline: percentile(baseline.latenciesMs, 0.5), baselineLabel: bareLabel, ratio: percentile(ours.latenciesMs, 0.5) / percentile(baseline.latenciesMs, 0.5), target: '–' },
          { metric: `Slack ack p99 (${label})`, value: percentile(ours.latenciesMs, 0.99), unit: 'ms', baseline: percentile(baseline.latenciesMs, 0.99), baselineLabel: bareLabel, ratio: percentile(ours.latenciesMs, 0.99) / percentile(baseline.latenciesMs, 0.99), target: '≤ 2× bare p99' },
          { metric: `Slack ack throughput (${label})`, value: perSecond(ours), unit: 'req/s', baseline: perSecond(baseline), baselineLabel: bareLabel, ratio: perSecond(ours) / perSecond(baseline), target: '≥ 0.5× bare' },
          { metric: `Slack commands recorded after the last ack (${ours.done} commands)`, value: drainMs, unit: 'ms', target: 'all recorded' },
        ];
      } finally {
        await bare.stop();
        await stop();
      }
    })) ?? []
  );
}
