import { count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { slackServerPart } from '../../../src/chat/slack/server-part.ts';
import { createSlackApp, type SlackApp } from '../../../src/chat/slack/slack-app.ts';
import { loadConfig } from '../../../src/config.ts';
import * as t from '../../../src/db/schema.ts';
import { createHttpServer } from '../../../src/http.ts';
import { createMetrics } from '../../../src/metrics.ts';
import { createRuntime, type Runtime } from '../../../src/runtime.ts';
import { makeContext, testI18n } from '../../app/helpers.ts';
import { createTestDatabase, describeDb, type TestDatabase } from '../../helpers/database.ts';
import { FakeSlack } from '../../helpers/slack/fake-slack.ts';
import { BOT_TOKEN, PUBLIC_URL } from '../../helpers/slack/harness.ts';
import { appMentionRequest, slashCommandRequest, viewSubmissionRequest } from '../../helpers/slack/requests.ts';
import { type Ack, envelopeOf, type SocketConnection, SocketModeServer } from '../../helpers/slack/socket-mode-server.ts';
import { captureLogs } from '../../helpers/log-capture.ts';

const APP_TOKEN = 'xapp-1-A0TSUIKI001-1772000000000-0123456789abcdef';
const TARO = 'U0TARO0001';
const GENERAL = 'C0GENERAL1';

let database: TestDatabase;
let server: SocketModeServer;
let fake: FakeSlack;
const running: SlackApp[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  server = await new SocketModeServer().start();
  fake = await new FakeSlack({
    token: BOT_TOKEN,
    users: { [TARO]: { locale: 'en-US', name: 'Taro' } },
    socketMode: { appToken: APP_TOKEN, issueUrl: () => server.issueUrl() },
  }).start();
});

afterAll(async () => {
  for (const app of running) await app.stop();
  await server?.stop();
  await fake?.stop();
  await database?.drop();
});

const { logger, chunks: logs } = captureLogs('warn');

/** A tsuiki process configured for Socket Mode (SLACK_APP_TOKEN), on the shared database. */
function runtime(): Runtime {
  const config = loadConfig({
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_SIGNING_SECRET: 'unused-in-socket-mode',
    SLACK_APP_TOKEN: APP_TOKEN,
    SLACK_API_URL: fake.apiUrl,
    PUBLIC_URL,
    LOCALES: 'en,ja',
    TEAM_TIME_ZONE: 'Asia/Tokyo',
  });
  const { ctx } = makeContext(database.db, { publicUrl: PUBLIC_URL });
  return createRuntime(config, database, { app: ctx });
}

/** Starts one process's Bolt app; resolves once Slack's hello has arrived. */
async function startProcess(): Promise<{ app: SlackApp; connection: SocketConnection }> {
  const rt = runtime();
  const { botToken, appToken, apiUrl } = rt.config.slack;
  const app = createSlackApp({ runtime: rt, logger, botToken: botToken!, appToken, apiUrl });
  const before = server.connections.length;
  await app.start();
  running.push(app);
  expect(server.connections.length).toBe(before + 1);
  return { app, connection: server.connections.at(-1)! };
}

/** Delivers a request as a Socket Mode envelope, waits for its ack and for the work after it. */
async function deliver(app: SlackApp, envelope: ReturnType<typeof envelopeOf>, on?: SocketConnection): Promise<Ack> {
  const ack = await server.deliver(envelope, on);
  await app.context.inbox.drain();
  return ack;
}

const command = (text: string, channelId = GENERAL, triggerId?: string) =>
  slashCommandRequest({ text, userId: TARO, channelId, responseUrl: fake.responseUrl('socket'), ...(triggerId ? { triggerId } : {}) });
const incidents = async () => Number((await database.db.select({ n: count() }).from(t.incident))[0]!.n);
const notes = async (text: string) => (await database.db.select().from(t.timelineEntry).where(eq(t.timelineEntry.text, text))).length;

describeDb('Slack Socket Mode', () => {
  let a: { app: SlackApp; connection: SocketConnection };
  let channel: string;

  it('SLACK_APP_TOKEN selects Socket Mode: no /slack/events route, a socket opened with the app token, closed first on stop', async () => {
    const rt = runtime();
    const part = slackServerPart({ runtime: rt, logger, metrics: createMetrics() })!;
    const http = createHttpServer({ database, logger, metrics: createMetrics(), routes: (app) => part.routes?.(app) });
    const { port } = await http.listen(0, '127.0.0.1');
    try {
      await part.start?.();
      expect(fake.callsOf('apps.connections.open')).toHaveLength(1);
      expect(server.open()).toHaveLength(1);
      const res = await fetch(`http://127.0.0.1:${port}/slack/events`, { method: 'POST', body: '{}' });
      expect(res.status).toBe(404);
      // The work after the ack waits out a 429, so it is still running when stop() is called.
      fake.rateLimitOnce('users.info', 1);
      const ack = await server.deliver(envelopeOf(command('help')));
      expect(ack.payload).toEqual({});
      const stopped = part.stop!();
      // The socket closes (with a handshake) before the acknowledged work is waited for:
      // nothing new can be acked while the process shuts down.
      await expect.poll(() => server.connections[0]!.closedWith, { timeout: 5_000 }).toBe(1000);
      expect(fake.callsOf('response_url')).toHaveLength(0);
      await stopped;
      expect(fake.callsOf('response_url')).toHaveLength(1);
    } finally {
      await http.close();
    }
    expect(fake.rejected).toEqual([]);
  });

  it('acks /incident declare over the socket, records it and opens the incident channel through the Web API', async () => {
    a = await startProcess();
    const envelope = envelopeOf(command('declare Socket errors in EU --sev 2'));
    const ack = await deliver(a.app, envelope);
    expect(ack).toEqual({ envelope_id: envelope.envelope_id, payload: {} });
    const [incident] = await database.db.select().from(t.incident);
    expect(incident).toMatchObject({ number: 1, title: 'Socket errors in EU', severity: 'SEV2' });
    expect(fake.callsOf('conversations.create').map((c) => c.name)).toEqual(['inc-1-socket-errors-in-eu']);
    channel = fake.channels.get('inc-1-socket-errors-in-eu')!;
    const [ref] = await database.db.select().from(t.chatRef).where(eq(t.chatRef.incidentId, incident!.id));
    expect(ref).toMatchObject({ platform: 'slack', channelId: channel });
    expect(fake.pins.map((p) => p.channel)).toEqual([channel]);
    expect(fake.rejected).toEqual([]);
  });

  it('records a redelivered envelope (the same envelope id) once, and acks it again', async () => {
    const envelope = envelopeOf(command('declare Login failures'));
    await deliver(a.app, envelope);
    const again = await deliver(a.app, envelope);
    expect(again.envelope_id).toBe(envelope.envelope_id);
    expect(await incidents()).toBe(2);
    expect(fake.callsOf('conversations.create')).toHaveLength(2);
  });

  it('records a retried event (retry_attempt 1, a new envelope, the same event_id) once', async () => {
    const request = appMentionRequest({ text: 'update socket cache flushed', userId: TARO, channelId: channel, eventId: 'Ev0SOCKET001' });
    await deliver(a.app, envelopeOf(request));
    const retry = envelopeOf(request, { retryAttempt: 1, retryReason: 'timeout' });
    const ack = await deliver(a.app, retry);
    expect(ack.envelope_id).toBe(retry.envelope_id);
    expect(await notes('socket cache flushed')).toBe(1);
  });

  it('stores an event before its envelope is acknowledged (Bolt acks events before any listener)', async () => {
    const request = appMentionRequest({ text: 'update stored before the ack', userId: TARO, channelId: channel, eventId: 'Ev0SOCKETSTORED' });
    await server.deliver(envelopeOf(request));
    const stored = await database.db.select().from(t.inbox).where(eq(t.inbox.deliveryKey, 'slack:event:Ev0SOCKETSTORED'));
    expect(stored).toHaveLength(1);
    await a.app.context.inbox.drain();
    expect(await notes('stored before the ack')).toBe(1);
  });

  it('records nothing twice when the retry reaches another process’s connection', async () => {
    const b = await startProcess();
    const request = command('declare Webhooks delayed');
    await deliver(a.app, envelopeOf(request), a.connection);
    await deliver(b.app, envelopeOf(request), b.connection);
    const rows = await database.db.select().from(t.incident).where(eq(t.incident.title, 'Webhooks delayed'));
    expect(rows).toHaveLength(1);
    expect(fake.callsOf('conversations.create').filter((c) => String(c.name).includes('webhooks-delayed'))).toHaveLength(1);
    await b.app.stop();
    running.splice(running.indexOf(b.app), 1);
    await expect.poll(() => b.connection.closedWith, { timeout: 5_000 }).toBe(1000);
  });

  it('answers an invalid declare form in the ack payload (interactive, accepts_response_payload)', async () => {
    const envelope = envelopeOf(
      viewSubmissionRequest({
        callbackId: 'declare_incident',
        privateMetadata: JSON.stringify({ channelId: GENERAL, lang: 'en' }),
        userId: TARO,
        values: { title: { value: { type: 'plain_text_input', value: '  ' } } },
      }),
    );
    expect(envelope).toMatchObject({ type: 'interactive', accepts_response_payload: true });
    const before = await incidents();
    const ack = await deliver(a.app, envelope);
    expect(ack.payload).toMatchObject({ response_action: 'errors', errors: { title: expect.any(String) } });
    expect(await incidents()).toBe(before);
  });

  it('reconnects when Slack asks for a refresh: closes the old socket itself, opens a new one, commands still work', async () => {
    const opened = fake.callsOf('apps.connections.open').length;
    const connections = server.connections.length;
    server.requestRefresh(a.connection);
    await server.waitForConnections(connections + 1);
    expect(a.connection.closedWith).toBe(1000);
    expect(fake.callsOf('apps.connections.open')).toHaveLength(opened + 1);
    a.connection = server.connections.at(-1)!;
    await deliver(a.app, envelopeOf(command('update after refresh', channel)));
    expect(await notes('after refresh')).toBe(1);
  });

  it('reconnects after the connection is cut, and later commands still work', async () => {
    const connections = server.connections.length;
    server.drop(a.connection);
    await server.waitForConnections(connections + 1);
    expect(a.connection.closedWith).toBe(1006);
    a.connection = server.connections.at(-1)!;
    await deliver(a.app, envelopeOf(command('update after a cut', channel)));
    await deliver(a.app, envelopeOf(command('status identified', channel)));
    expect(await notes('after a cut')).toBe(1);
    const [incident] = await database.db.select().from(t.incident).where(eq(t.incident.number, 1));
    expect(incident!.status).toBe('identified');
  });

  it('spoke only the protocol and the Web API as specified, and no listener failed', () => {
    expect(server.unexpected).toEqual([]);
    expect(fake.rejected).toEqual([]);
    expect(logs.filter((l) => /slack (listener|work) failed/.test(l))).toEqual([]);
  });
});
