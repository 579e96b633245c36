import type { RequestListener } from 'node:http';
import { App, HTTPReceiver, SocketModeReceiver } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import type { Logger } from '../../logger.ts';
import type { Metrics } from '../../metrics.ts';
import type { Runtime } from '../../runtime.ts';
import { Dispatcher } from '../dispatcher.ts';
import { postmortemLinksFor } from '../postmortem-link.ts';
import { handleIncidentChanges } from '../header-refresh.ts';
import { chatPlatformsOf } from '../platforms.ts';
import { timelineLinksFor } from '../timeline-link.ts';
import { createInboxWorker, type InboxWorker } from '../../outbox/inbox.ts';
import { slackRequestHandlers } from './handlers/index.ts';
import { storeAppMention } from './listeners/app-mention.ts';
import { registerListeners } from './listeners/index.ts';
import { createSlackClient } from './slack-client.ts';
import type { SlackContext } from './slack-context.ts';
import { toSlackLogger } from './slack-logger.ts';
import { SlackPlatform } from './slack-platform.ts';
import { SlackUsers } from './slack-users.ts';

/** The endpoint of commands, interactivity and events (PRODUCT.md). */
export const SLACK_EVENTS_PATH = '/slack/events';

export interface SlackAppOptions {
  runtime: Runtime;
  logger: Logger;
  metrics?: Metrics;
  botToken: string;
  /** Required in HTTP mode; Socket Mode does not sign requests. */
  signingSecret?: string | undefined;
  /** SLACK_APP_TOKEN: Socket Mode instead of HTTP. */
  appToken?: string | undefined;
  apiUrl?: string | undefined;
  /** How often stored requests are looked for when nothing kicked the processor (tests); 1 s by default. */
  inboxPollMs?: number;
}

/** A running Slack front end: the Bolt app, its raw HTTP handler (HTTP mode), and its lifecycle. */
export interface SlackApp {
  bolt: App;
  client: WebClient;
  context: SlackContext;
  /** Bolt's handler for POST /slack/events; undefined in Socket Mode. */
  requestListener: RequestListener | undefined;
  start(): Promise<void>;
  /** Stops taking requests and waits for those being processed; stored ones wait for the next process. */
  stop(): Promise<void>;
}

/** Builds Bolt (HTTP receiver on the shared server, or Socket Mode) over the dispatcher. */
export function createSlackApp(options: SlackAppOptions): SlackApp {
  const { runtime, logger } = options;
  const log = logger.child({ platform: 'slack' });
  const slackLogger = toSlackLogger(log);
  const client = createSlackClient(options.botToken, options.apiUrl, log);

  // auth.test once, on first use, retried after a failure rather than cached as one.
  let identity: Promise<{ botUserId?: string; botId?: string }> | undefined;
  let known: { botUserId?: string; botId?: string } = {};
  const whoAmI = () =>
    (identity ??= client.auth.test().then(
      (r) => (known = { ...(r.user_id ? { botUserId: r.user_id } : {}), ...(r.bot_id ? { botId: r.bot_id } : {}) }),
      (e: unknown) => {
        identity = undefined;
        throw e;
      },
    ));
  // Bolt authorizes every request before its listener, on the acknowledgement path: it gets
  // what is known now and never waits for Slack. The identity (used only to ignore the bot's
  // own events) is looked up in the background and is there from then on.
  const authorize = async () => {
    if (!known.botUserId) void whoAmI().catch((e: unknown) => log.warn({ err: e }, 'auth.test failed; will ask again'));
    return { botToken: options.botToken, ...known };
  };
  const clientOptions = {
    ...(options.apiUrl ? { slackApiUrl: options.apiUrl.endsWith('/') ? options.apiUrl : `${options.apiUrl}/` } : {}),
    rejectRateLimitedCalls: true,
  };

  let bolt: App;
  let requestListener: RequestListener | undefined;
  let socketMode: SocketModeReceiver | undefined;
  if (options.appToken) {
    // Built here rather than by Bolt (socketMode: true) to hold its client: stop() must wait for
    // the socket to close. Its own copy of the options, since the Socket Mode client writes its
    // reconnect retry policy (100 retries) into the object it is given.
    socketMode = new SocketModeReceiver({ appToken: options.appToken, logger: slackLogger, installerOptions: { clientOptions: { ...clientOptions } } });
    bolt = new App({ receiver: socketMode, authorize, logger: slackLogger, clientOptions });
  } else {
    if (!options.signingSecret) throw new Error('SLACK_SIGNING_SECRET is required in HTTP mode');
    // Store, then acknowledge: a listener only writes the request to the inbox (one INSERT),
    // and Slack's 200 goes out when it returns (processBeforeResponse), events included —
    // Bolt acknowledges those before the listener runs, so only this keeps a crash between
    // the two from losing one. The work runs from the stored row (handlers/).
    const receiver = new HTTPReceiver({
      signingSecret: options.signingSecret,
      endpoints: SLACK_EVENTS_PATH,
      processBeforeResponse: true,
      logger: slackLogger,
    });
    bolt = new App({ receiver, authorize, logger: slackLogger, clientOptions });
    requestListener = receiver.requestListener;
  }

  const platform = new SlackPlatform({
    client,
    db: runtime.app.db,
    clock: runtime.app.clock,
    i18n: runtime.i18n,
    logger: log,
    publicUrl: runtime.config.publicUrl,
    incidentsChannel: runtime.config.incidentsChannel,
    botUserId: async () => (await whoAmI().catch(() => ({}) as { botUserId?: string })).botUserId,
  });
  const context: SlackContext = {
    app: runtime.app,
    dispatcher: new Dispatcher({
      app: runtime.app,
      i18n: runtime.i18n,
      platform,
      logger: log,
      timelineLinks: timelineLinksFor(runtime),
      postmortemLinks: postmortemLinksFor(runtime),
      ...(options.metrics ? { metrics: options.metrics } : {}),
    }),
    platform,
    client,
    users: new SlackUsers(client, runtime.i18n, log),
    i18n: runtime.i18n,
    logger: log,
    inbox: undefined as unknown as InboxWorker,
    teamTimeZone: runtime.config.teamTimeZone,
  };
  context.inbox = createInboxWorker({
    db: runtime.app.db,
    clock: runtime.app.clock,
    logger: log,
    platform: 'slack',
    handlers: slackRequestHandlers(context),
    ...(options.inboxPollMs ? { intervalMs: options.inboxPollMs } : {}),
  });
  // Publishing, the manager part and header renders post through it too.
  chatPlatformsOf(runtime).register(platform);
  // Headers are rendered by the job runner, on every platform, from the job each write leaves.
  handleIncidentChanges(runtime.jobs, { app: runtime.app, i18n: runtime.i18n, logger: log, platforms: () => chatPlatformsOf(runtime).all() });
  registerListeners(bolt, context);
  if (socketMode) storeEventsBeforeBolt(socketMode, context);
  bolt.error(async (error) => {
    log.error({ err: error }, 'slack listener failed');
  });

  return {
    bolt,
    client,
    context,
    requestListener,
    async start() {
      context.inbox.start();
      runtime.jobs.start();
      if (socketMode) await bolt.start();
    },
    async stop() {
      // Socket Mode: stop taking envelopes first (Bolt's stop() only starts the close
      // handshake; disconnect() resolves once it is done).
      if (socketMode) await socketMode.client.disconnect();
      // What is stored but not processed stays in the inbox for the next process.
      await context.inbox.stop();
      await runtime.jobs.stop();
    },
  };
}

/**
 * Bolt acknowledges an Events API envelope before any listener runs (there is no answer to
 * wait for). In HTTP mode the response waits for the listener anyway (processBeforeResponse);
 * over the socket the acknowledgement is a message of its own, so the event is stored here,
 * ahead of Bolt. An event the database could not take is not handed to Bolt, so it is not
 * acknowledged and Slack delivers it again.
 */
function storeEventsBeforeBolt(receiver: SocketModeReceiver, ctx: SlackContext): void {
  const client = receiver.client;
  const bolts = client.listeners('slack_event') as ((args: { type?: string; body?: Record<string, unknown> }) => Promise<void>)[];
  client.removeAllListeners('slack_event');
  client.on('slack_event', async (args: { type?: string; body?: Record<string, unknown> }) => {
    if (args.type === 'events_api' && args.body && !(await storeAppMention(ctx, args.body))) return;
    for (const listener of bolts) await listener(args);
  });
}
