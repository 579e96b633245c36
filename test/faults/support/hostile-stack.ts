import { chatPlatformsOf } from '../../../src/chat/platforms.ts';
import { createSlackApp, type SlackApp, SLACK_EVENTS_PATH } from '../../../src/chat/slack/slack-app.ts';
import { teamsPart } from '../../../src/chat/teams/teams-part.ts';
import { loadConfig } from '../../../src/config.ts';
import { createHttpServer, type HttpServer, nodeHandler } from '../../../src/http.ts';
import { createManagerPart } from '../../../src/manager/part.ts';
import { createMetrics } from '../../../src/metrics.ts';
import { createDeliveryWorker, type DeliveryWorker } from '../../../src/outbox/delivery-worker.ts';
import { createChatReporter } from '../../../src/publish/chat-reporter.ts';
import { createConfiguredChannels, createRegistryChannels } from '../../../src/publish/part.ts';
import { createStatuspageChannel } from '../../../src/publish/statuspage.ts';
import { openRuntime, type Runtime } from '../../../src/runtime.ts';
import { statusPagePart } from '../../../src/status-page/part.ts';
import { testI18n } from '../../app/helpers.ts';
import type { TestDatabase } from '../../helpers/database.ts';
import { FakeSlack } from '../../helpers/slack/fake-slack.ts';
import { BOT_TOKEN, INCIDENTS_CHANNEL, SIGNING_SECRET } from '../../helpers/slack/harness.ts';
import { type SlackRequest, signatureHeaders } from '../../helpers/slack/requests.ts';
import { type ChannelTokenIssuer, staticCredentials } from '../../helpers/teams/bot-auth.ts';
import { ConnectorServer } from '../../helpers/teams/connector-server.ts';
import { postActivity } from '../../helpers/teams/harness.ts';
import { SmtpSink, StatuspageSink, WebhookSink } from './hostile-sinks.ts';
import { captureLogs } from '../../helpers/log-capture.ts';

export const PUBLIC_URL = 'https://status.tsuiki.example';
export const ADMIN_TOKEN = 'admin-token-for-fault-tests-0123456789';
export const STATUSPAGE_KEY = 'statuspage-key-123';
export const WEBHOOK_SECRET = `whsec_${Buffer.from('fault-suite-webhook-secret-32byte').toString('base64')}`;
export const TEAMS_APP_ID = '11111111-2222-3333-4444-555555555555';

/**
 * The whole of tsuiki in one process, as `tsuiki serve` composes it (status page, Slack, Teams,
 * publishing targets, the manager part's URLs) over a test database, with every outside service
 * a local fake that speaks its wire format: Slack's Web API, the Bot Framework connector, an
 * SMTP server, a webhook receiver and the Statuspage API.
 */
export interface HostileStack {
  base: string;
  runtime: Runtime;
  fake: FakeSlack;
  slack: SlackApp;
  connector: ConnectorServer;
  smtp: SmtpSink;
  webhooks: WebhookSink;
  statuspage: StatuspageSink;
  worker: DeliveryWorker;
  /** JSON log lines at warn and above. */
  logs: string[];
  /**
   * Waits until nothing more is going out: the delivery worker (and the Teams part's worker,
   * where it has one) drained, and no new call to any fake for a quiet moment.
   */
  settle(quietMs?: number): Promise<void>;
  /** Sends a request signed as Slack signs it and waits for the work after the ack. */
  sendSlack(request: SlackRequest, headers?: Record<string, string>, sign?: { secret?: string; timestamp?: number }): Promise<{ status: number; body: string }>;
  /** POSTs an activity to /api/messages. */
  postTeams(activity: unknown, headers?: Record<string, string>): Promise<{ status: number; body: unknown }>;
  close(): Promise<void>;
}

export interface HostileStackOptions {
  /** Teams with Bot Framework authentication against this issuer (MicrosoftAppId set); off: unauthenticated. */
  teamsIssuer?: ChannelTokenIssuer;
}

export async function startHostileStack(database: TestDatabase, options: HostileStackOptions = {}): Promise<HostileStack> {
  const fake = await new FakeSlack({
    token: BOT_TOKEN,
    users: { U0AIKO0001: { locale: 'en-US', name: 'Aiko' }, U0HANAKO01: { locale: 'ja-JP', name: 'Hanako' } },
  }).start();
  const connector = await new ConnectorServer().start();
  const smtp = await new SmtpSink().start();
  const webhooks = await new WebhookSink(WEBHOOK_SECRET).start();
  const statuspage = await new StatuspageSink(STATUSPAGE_KEY).start();

  const config = loadConfig({
    PUBLIC_URL,
    LOCALES: 'en,ja',
    TEAM_TIME_ZONE: 'Asia/Tokyo',
    TIME_ZONES: 'en=UTC,ja=Asia/Tokyo',
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: fake.apiUrl,
    INCIDENTS_CHANNEL,
    SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
    MAIL_FROM: 'Status <status@tsuiki.example>',
    // As behind one reverse proxy: tests name each client in X-Forwarded-For.
    TRUST_PROXY_HOPS: '1',
    STATUSPAGE_API_KEY: STATUSPAGE_KEY,
    STATUSPAGE_PAGE_ID: 'page1',
    STATUSPAGE_API_URL: statuspage.url,
    ADMIN_TOKEN,
    ...(options.teamsIssuer ? { MicrosoftAppId: TEAMS_APP_ID, MicrosoftAppPassword: 'not-used', MicrosoftAppType: 'MultiTenant' } : {}),
  });
  // The real clock: webhook receivers reject signatures older than five minutes.
  const runtime = await openRuntime(config, { database, i18n: testI18n() });
  const { i18n, app } = runtime;
  const { logger, chunks: logs } = captureLogs('warn');
  const metrics = createMetrics();
  const deps = { runtime, logger, metrics };

  const statusPage = statusPagePart(deps)!;
  const slack = createSlackApp({ runtime, logger, botToken: BOT_TOKEN, signingSecret: SIGNING_SECRET, apiUrl: fake.apiUrl });
  chatPlatformsOf(runtime).register(slack.context.platform);
  const teams = teamsPart(
    options.teamsIssuer
      ? { credentialsFactory: staticCredentials(TEAMS_APP_ID, 'outbound-token'), authOptions: options.teamsIssuer.authOptions() }
      : { enableWithoutAppId: true },
  )(deps)!;

  // As the publishing part composes them, but Statuspage unspaced (its 1 request/s is a production courtesy).
  const channels = createConfiguredChannels(runtime);
  channels.statuspage = createStatuspageChannel({ apiKey: STATUSPAGE_KEY, pageId: 'page1', apiUrl: statuspage.url, lang: 'en', db: app.db, clock: app.clock, minIntervalMs: 0 });
  Object.assign(channels, createRegistryChannels(chatPlatformsOf(runtime), runtime));
  const worker = createDeliveryWorker({
    db: app.db,
    clock: app.clock,
    channels,
    reporter: createChatReporter({ db: app.db, platforms: chatPlatformsOf(runtime), i18n, lang: 'en', logger }),
    onError: (e) => logger.error({ err: e }, 'delivery worker error'),
  });

  const http: HttpServer = createHttpServer({
    database,
    logger,
    metrics,
    routes: (a) => {
      statusPage.routes?.(a);
      a.post(SLACK_EVENTS_PATH, nodeHandler(slack.requestListener!));
      teams.routes?.(a);
      // The manager part's routes (postmortem, timeline), without its background jobs.
      createManagerPart(deps).routes?.(a);
    },
  });
  await statusPage.start?.();
  await teams.start?.();
  const { port } = await http.listen(0, '127.0.0.1');
  const teamsWorker = (teams as { worker?: { drain?: () => Promise<unknown> } }).worker;
  const activity = () => [fake.calls.length, connector.calls.length, smtp.mails.length, webhooks.received.length, statuspage.requests.length].join();
  const base = `http://127.0.0.1:${port}`;

  return {
    base,
    runtime,
    fake,
    slack,
    connector,
    smtp,
    webhooks,
    statuspage,
    worker,
    logs,
    async settle(quietMs = 100) {
      const deadline = Date.now() + 15_000;
      let seen = '';
      while (Date.now() < deadline) {
        await worker.drain();
        await teamsWorker?.drain?.();
        await slack.context.inbox.drain();
        if (activity() === seen) return;
        seen = activity();
        await new Promise((resolve) => setTimeout(resolve, quietMs));
      }
    },
    async sendSlack(request, headers = {}, sign = {}) {
      const res = await fetch(`${base}${SLACK_EVENTS_PATH}`, {
        method: 'POST',
        headers: { 'Content-Type': request.contentType, ...signatureHeaders(request.body, sign.secret ?? SIGNING_SECRET, sign.timestamp), ...headers },
        body: request.body,
      });
      const body = await res.text();
      await slack.context.inbox.drain();
      return { status: res.status, body };
    },
    postTeams: (activity, headers) => postActivity(base, activity, headers),
    async close() {
      await http.close();
      await worker.stop();
      await teams.stop?.();
      for (const channel of Object.values(channels)) await channel?.close?.();
      await statusPage.stop?.();
      await slack.stop();
      await Promise.all([fake.stop(), connector.stop(), smtp.stop(), webhooks.stop(), statuspage.stop()]);
    },
  };
}
