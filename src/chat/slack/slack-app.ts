import type { RequestListener } from 'node:http';
import { App, HTTPReceiver, SocketModeReceiver } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import type { Logger } from '../../logger.ts';
import type { Metrics } from '../../metrics.ts';
import type { Runtime } from '../../runtime.ts';
import { Dispatcher } from '../dispatcher.ts';
import { timelineLinksFor } from '../timeline-link.ts';
import { AfterAck } from './after-ack.ts';
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
}

/** A running Slack front end: the Bolt app, its raw HTTP handler (HTTP mode), and its lifecycle. */
export interface SlackApp {
  bolt: App;
  client: WebClient;
  context: SlackContext;
  /** Bolt's handler for POST /slack/events; undefined in Socket Mode. */
  requestListener: RequestListener | undefined;
  start(): Promise<void>;
  /** Waits for work already acknowledged, then stops. */
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
  const whoAmI = () =>
    (identity ??= client.auth.test().then(
      (r) => ({ ...(r.user_id ? { botUserId: r.user_id } : {}), ...(r.bot_id ? { botId: r.bot_id } : {}) }),
      (e: unknown) => {
        identity = undefined;
        throw e;
      },
    ));
  const authorize = async () => ({ botToken: options.botToken, ...(await whoAmI()) });
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
    // Acknowledge first (processBeforeResponse: false): Slack gets its 200 within milliseconds
    // and every listener does its work after the ack.
    const receiver = new HTTPReceiver({
      signingSecret: options.signingSecret,
      endpoints: SLACK_EVENTS_PATH,
      processBeforeResponse: false,
      logger: slackLogger,
    });
    bolt = new App({ receiver, authorize, logger: slackLogger, clientOptions });
    requestListener = receiver.requestListener;
  }

  const platform = new SlackPlatform({
    client,
    db: runtime.app.db,
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
      ...(options.metrics ? { metrics: options.metrics } : {}),
    }),
    platform,
    client,
    users: new SlackUsers(client, runtime.i18n, log),
    i18n: runtime.i18n,
    logger: log,
    afterAck: new AfterAck(log),
    teamTimeZone: runtime.config.teamTimeZone,
  };
  registerListeners(bolt, context);
  bolt.error(async (error) => {
    log.error({ err: error }, 'slack listener failed');
  });

  return {
    bolt,
    client,
    context,
    requestListener,
    async start() {
      if (socketMode) await bolt.start();
    },
    async stop() {
      // Socket Mode: stop taking envelopes first. One acknowledged after the drain would run while
      // the database closes and be lost, since Slack never resends an acknowledged envelope.
      // (Bolt's stop() only starts the close handshake; disconnect() resolves once it is done.)
      if (socketMode) await socketMode.client.disconnect();
      await context.afterAck.drain();
    },
  };
}
