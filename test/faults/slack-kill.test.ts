import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { and, eq, like, sql } from 'drizzle-orm';
import * as t from '../../src/db/schema.ts';
import { FakeSlack } from '../helpers/slack/fake-slack.ts';
import { signatureHeaders, slashCommandRequest } from '../helpers/slack/requests.ts';
import { killAllServe, type ServeProcess, startServe } from './support/processes.ts';
import { appFor, declarePublicIncident, PUBLIC_URL, waitFor } from './support/publishing.ts';
import { createScratchDatabase, faultServerLabel, type ScratchDatabase } from './support/scratch-db.ts';

const SIGNING_SECRET = 'fault-slack-signing-secret';
const BOT_TOKEN = 'xoxb-fault-kill';
const COMMANDS = 300;
const CLIENTS = 25;
const USERS = Object.fromEntries(Array.from({ length: CLIENTS }, (_, i) => [`U${i}`, { locale: i % 2 ? 'ja-JP' : 'en-US', name: `user${i}` }]));

let db: ScratchDatabase;
let fake: FakeSlack;

beforeAll(async () => {
  db = await createScratchDatabase();
  fake = await new FakeSlack({ token: BOT_TOKEN, users: USERS }).start();
});
afterAll(async () => {
  await killAllServe();
  await fake?.stop();
  await db?.drop();
});

const env = () => ({ DATABASE_URL: db.url, SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: fake.apiUrl, PUBLIC_URL, SHUTDOWN_GRACE_SECONDS: '3' });

/** Sends `count` signed `/incident INC-n update …` from CLIENTS clients at once; resolves with every HTTP status. */
async function sendCommands(baseUrl: string, incidentNumber: number, tag: string, count: number): Promise<number[]> {
  const statuses: number[] = [];
  let next = 0;
  const client = async (c: number) => {
    for (let i = next++; i < count; i = next++) {
      const request = slashCommandRequest({ text: `INC-${incidentNumber} update ${tag}-${i}`, userId: `U${c}`, channelId: 'CGENERAL', responseUrl: fake.responseUrl(`${tag}-${i}`) });
      const res = await fetch(`${baseUrl}/slack/events`, {
        method: 'POST',
        headers: { 'Content-Type': request.contentType, ...signatureHeaders(request.body, SIGNING_SECRET) },
        body: request.body,
      });
      await res.text();
      statuses[i] = res.status;
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, (_, c) => client(c)));
  return statuses;
}

/** How many timeline notes of `tag` are recorded, and how many distinct. */
async function notes(incidentId: string, tag: string): Promise<{ total: number; distinct: number }> {
  const [row] = await db.db
    .select({ total: sql<number>`count(*)::int`, distinct: sql<number>`count(distinct ${t.timelineEntry.text})::int` })
    .from(t.timelineEntry)
    .where(and(eq(t.timelineEntry.incidentId, incidentId), like(t.timelineEntry.text, `${tag}-%`)));
  return { total: Number(row!.total), distinct: Number(row!.distinct) };
}

async function incidentNumber(incidentId: string): Promise<number> {
  const [row] = await db.db.select({ number: t.incident.number }).from(t.incident).where(eq(t.incident.id, incidentId));
  return row!.number;
}

describe(`Slack commands acknowledged, then the process killed [${faultServerLabel}]`, () => {
  it(`records each of ${COMMANDS} acked commands exactly once after SIGKILL right behind the last ack, and answers every one`, async () => {
    const incidentId = await declarePublicIncident(appFor(db.db), 'Checkout errors');
    const number = await incidentNumber(incidentId);
    // Slack's API hangs: nothing acknowledged can be processed before the kill, so the restart has to do all of it.
    fake.hold();
    const first = await startServe('slack-1', env());
    const statuses = await sendCommands(first.baseUrl, number, 'kill', COMMANDS);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    await first.kill('SIGKILL');
    const before = await notes(incidentId, 'kill');
    fake.release();

    const second = await startServe('slack-2', env());
    const after = await waitFor(
      async () => {
        const n = await notes(incidentId, 'kill');
        return n.total >= COMMANDS ? n : undefined;
      },
      60_000,
      async () => `${COMMANDS} notes (have ${JSON.stringify(await notes(incidentId, 'kill'))})\n${second.output().slice(-3000)}`,
    );
    expect(after).toEqual({ total: COMMANDS, distinct: COMMANDS });
    // Every command is answered through its response_url once it is recorded.
    await waitFor(
      () => {
        const answered = new Set(fake.calls.filter((c) => c.method === 'response_url' && c.responseId?.startsWith('kill-')).map((c) => c.responseId));
        return answered.size === COMMANDS ? answered : undefined;
      },
      30_000,
      () => `every command answered (have ${new Set(fake.calls.filter((c) => c.responseId?.startsWith('kill-')).map((c) => c.responseId)).size})`,
    );
    const stored = await db.db.select({ state: t.inbox.state, n: sql<number>`count(*)::int` }).from(t.inbox).groupBy(t.inbox.state);
    console.log(`slack-kill: ${COMMANDS} acked; recorded at the kill ${before.total}, after the restart ${after.total} (${after.distinct} distinct); inbox ${JSON.stringify(stored)}`);
    await second.kill('SIGTERM');
  });

  it('posts every result in the incident channel once when killed in the middle of side effects', async () => {
    const SIDE = 20;
    const first = await startServe('slack-side-1', env());
    const declared = slashCommandRequest({ text: 'declare Payment errors --sev 2', userId: 'U1', channelId: 'CGENERAL', responseUrl: fake.responseUrl('side-declare') });
    const res = await fetch(`${first.baseUrl}/slack/events`, {
      method: 'POST',
      headers: { 'Content-Type': declared.contentType, ...signatureHeaders(declared.body, SIGNING_SECRET) },
      body: declared.body,
    });
    expect(res.status).toBe(200);
    const incident = await waitFor(
      async () => (await db.db.select().from(t.incident).where(eq(t.incident.title, 'Payment errors')))[0],
      20_000,
      () => 'the declared incident',
    );
    const ref = await waitFor(
      async () => (await db.db.select().from(t.chatRef).where(and(eq(t.chatRef.incidentId, incident.id), eq(t.chatRef.platform, 'slack'))))[0]?.headerMessageId ? (await db.db.select().from(t.chatRef).where(eq(t.chatRef.incidentId, incident.id)))[0] : undefined,
      20_000,
      () => 'the incident channel and its header',
    );
    const postsIn = () => fake.calls.filter((c) => c.method === 'chat.postMessage' && c.args.channel === ref!.channelId).length;
    const baseline = postsIn();
    // Five results get through; the rest hang in Slack when the process dies.
    fake.hold({ methods: ['chat.postMessage'], after: 5 });
    const statuses = await sendCommands(first.baseUrl, incident.number, 'side', SIDE);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    // Five results get out; the requests processed after them hang in Slack with their notes
    // recorded (as many as the inbox processes at once), the rest wait in the inbox.
    await waitFor(() => (postsIn() - baseline >= 5 ? true : undefined), 30_000, () => 'five results posted');
    await waitFor(async () => ((await notes(incident.id, 'side')).total > 5 ? true : undefined), 30_000, () => 'notes recorded behind the held posts');
    await new Promise((resolve) => setTimeout(resolve, 500));
    const recordedAtKill = (await notes(incident.id, 'side')).total;
    await first.kill('SIGKILL');
    fake.release();

    const second = await startServe('slack-side-2', env());
    await waitFor(() => (postsIn() - baseline >= SIDE ? true : undefined), 60_000, () => `${SIDE} results (have ${postsIn() - baseline})\n${second.output().slice(-2000)}`);
    // A little longer: nothing more arrives.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(postsIn() - baseline).toBe(SIDE);
    expect(await notes(incident.id, 'side')).toEqual({ total: SIDE, distinct: SIDE });
    const sent = await db.db.select({ n: sql<number>`count(*)::int` }).from(t.sentMessage).where(like(t.sentMessage.key, 'slack:%:result'));
    console.log(`slack-side: killed with 5 results posted, ${recordedAtKill} notes recorded and their posts held in Slack; after the restart ${postsIn() - baseline} results in the incident channel (one per command), ${sent[0]!.n} keyed posts recorded`);
    await second.kill('SIGTERM');
  });

  it('stops within SHUTDOWN_GRACE_SECONDS + 5 s on SIGTERM while Slack hangs, and a new process finishes the work', async () => {
    const incidentId = await declarePublicIncident(appFor(db.db), 'Login errors');
    const number = await incidentNumber(incidentId);
    const first: ServeProcess = await startServe('slack-term', env());
    fake.hold();
    const statuses = await sendCommands(first.baseUrl, number, 'term', 40);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    // Requests are being processed, stuck on Slack.
    const started = Date.now();
    const exit = await first.kill('SIGTERM');
    const tookMs = Date.now() - started;
    expect(exit.code, first.output().slice(-3000)).toBe(0);
    expect(tookMs).toBeLessThan((3 + 5) * 1000);
    fake.release();

    const next = await startServe('slack-after-term', env());
    const done = await waitFor(
      async () => {
        const n = await notes(incidentId, 'term');
        return n.total >= 40 ? n : undefined;
      },
      60_000,
      async () => `40 notes (have ${JSON.stringify(await notes(incidentId, 'term'))})\n${next.output().slice(-3000)}`,
    );
    expect(done).toEqual({ total: 40, distinct: 40 });
    console.log(`slack-term: SIGTERM with Slack hanging exited ${exit.code} after ${tookMs} ms (grace 3 s); the next process recorded all 40`);
    await next.kill('SIGTERM');
  });
});
