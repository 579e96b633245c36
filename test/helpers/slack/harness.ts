import type { AppSettings } from '../../../src/app/context.ts';
import { createSlackApp, type SlackApp, SLACK_EVENTS_PATH } from '../../../src/chat/slack/slack-app.ts';
import { loadConfig } from '../../../src/config.ts';
import { ManualClock } from '../../../src/core/clock.ts';
import type { Database } from '../../../src/db/client.ts';
import { createHttpServer, type HttpServer, nodeHandler } from '../../../src/http.ts';
import { createMetrics } from '../../../src/metrics.ts';
import { openRuntime } from '../../../src/runtime.ts';
import { T0, testI18n } from '../../app/helpers.ts';
import { FakeSlack, type FakeSlackOptions } from './fake-slack.ts';
import { type SlackRequest, signatureHeaders } from './requests.ts';
import { captureLogs } from '../log-capture.ts';

export const SIGNING_SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
export const BOT_TOKEN = 'xoxb-test-token';
export const PUBLIC_URL = 'https://tsuiki.example';
export const INCIDENTS_CHANNEL = 'CINCIDENTS';

/** tsuiki's real HTTP server with the real Bolt app on it, talking to a fake Slack. */
export interface SlackHarness {
  fake: FakeSlack;
  slack: SlackApp;
  clock: ManualClock;
  url: string;
  logs: string[];
  /** Sends a request signed as Slack signs it; waits for the work after the ack. */
  send(request: SlackRequest, headers?: Record<string, string>, sign?: { secret?: string; timestamp?: number }): Promise<{ status: number; body: string }>;
  close(): Promise<void>;
}

export async function startSlackHarness(database: Database, options: Partial<FakeSlackOptions> = {}, settings: Partial<AppSettings> = {}): Promise<SlackHarness> {
  const fake = await new FakeSlack({ token: BOT_TOKEN, ...options }).start();
  const config = loadConfig({
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: fake.apiUrl,
    PUBLIC_URL,
    INCIDENTS_CHANNEL,
    LOCALES: 'en,ja',
    TEAM_TIME_ZONE: 'Asia/Tokyo',
    TIME_ZONES: 'en=UTC,ja=Asia/Tokyo',
  });
  const clock = new ManualClock(T0);
  const runtime = await openRuntime(config, { database, clock, i18n: testI18n(), settings });
  const { logger, chunks: logs } = captureLogs('warn');
  const slack = createSlackApp({ runtime, logger, botToken: BOT_TOKEN, signingSecret: SIGNING_SECRET, apiUrl: fake.apiUrl });
  const http: HttpServer = createHttpServer({
    database,
    logger,
    metrics: createMetrics(),
    routes: (a) => a.post(SLACK_EVENTS_PATH, nodeHandler(slack.requestListener!)),
  });
  const { port } = await http.listen(0, '127.0.0.1');
  const url = `http://127.0.0.1:${port}${SLACK_EVENTS_PATH}`;
  return {
    fake,
    slack,
    clock,
    url,
    logs,
    async send(request, headers = {}, sign = {}) {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'Content-Type': request.contentType, ...signatureHeaders(request.body, sign.secret ?? SIGNING_SECRET, sign.timestamp), ...headers },
        body: request.body,
      });
      const body = await res.text();
      // The listener registers its work right after acking; let it get there before draining.
      await new Promise((resolve) => setImmediate(resolve));
      await slack.context.inbox.drain();
      // And what its writes left for the job runner (the live header).
      await runtime.jobs.drain();
      return { status: res.status, body };
    },
    async close() {
      await http.close();
      await slack.stop();
      await fake.stop();
    },
  };
}
