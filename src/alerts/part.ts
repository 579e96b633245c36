import type { ChatPlatform } from '../chat/platform.ts';
import { chatPlatformsOf } from '../chat/platforms.ts';
import { createInboxWorker, type InboxWorker } from '../outbox/inbox.ts';
import type { ServerPart, ServerPartDeps, SyncServerPartFactory } from '../server-part.ts';
import { ALERT_SOURCES } from './delivery.ts';
import { createAlertHandler } from './process-delivery.ts';
import { ALERTS_PLATFORM, registerAlertRoutes } from './routes.ts';

/** The alerts part, with its worker (tests drain it). */
export interface AlertsPart extends ServerPart {
  readonly worker: InboxWorker;
}

export interface AlertsPartOptions {
  /** Post through these platforms only, instead of every platform registered on the runtime (tests). */
  platforms?: () => readonly ChatPlatform[];
  /** How often stored deliveries are looked for when nothing kicked the worker; 1 s by default. */
  intervalMs?: number;
}

/**
 * Alerts in: `POST /hooks/<source>` stores each delivery in the inbox, and the inbox worker
 * of platform `alerts` processes them, one group (lane) at a time. Absent when neither
 * ALERTS_TOKEN nor PAGERDUTY_WEBHOOK_SECRET is set.
 */
export function createAlertsPart(deps: ServerPartDeps, options: AlertsPartOptions = {}): AlertsPart | undefined {
  const { runtime } = deps;
  const { config, app, i18n } = runtime;
  if (!config.alertsToken && config.pagerdutyWebhookSecrets.length === 0) return undefined;
  const logger = deps.logger.child({ part: 'alerts' });
  // Looked up when processing, not now: the Slack and Teams parts may be built after this one.
  const platforms = options.platforms ?? (() => chatPlatformsOf(runtime).all());
  const handler = createAlertHandler({ app, i18n, logger, platforms });
  const worker = createInboxWorker({
    db: app.db,
    clock: app.clock,
    logger,
    platform: ALERTS_PLATFORM,
    handlers: Object.fromEntries(ALERT_SOURCES.map((source) => [source, handler])),
    ...(options.intervalMs ? { intervalMs: options.intervalMs } : {}),
  });
  return {
    name: 'alerts',
    worker,
    routes(http) {
      registerAlertRoutes(http, {
        db: app.db,
        clock: app.clock,
        i18n,
        languages: config.locales,
        logger,
        alertsToken: config.alertsToken,
        pagerdutySecrets: config.pagerdutyWebhookSecrets,
        onStored: () => worker.kick(),
      });
    },
    async start() {
      worker.start();
    },
    stop: () => worker.stop(),
  };
}

/** The production factory for SERVER_PARTS. */
export const alertsServerPart: SyncServerPartFactory = (deps) => createAlertsPart(deps);
