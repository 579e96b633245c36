import type { ChatPlatform } from '../chat/platform.ts';
import { createSlackClient } from '../chat/slack/slack-client.ts';
import { SlackPlatform } from '../chat/slack/slack-platform.ts';
import type { ServerPart, ServerPartFactory } from '../main.ts';
import { createJobWorker, type JobHandler } from '../outbox/jobs.ts';
import { createPollLoop } from '../outbox/loop.ts';
import type { Runtime } from '../runtime.ts';
import { createUpstreamPoller } from '../upstream/poller.ts';
import { announceStatusChanges, armDigest, DEFAULT_DIGEST_CRON, DIGEST_JOB, nextDigestAt, postDigest } from './digest.ts';
import { registerPostmortemRoute } from './postmortem-route.ts';
import { createReminderHandler, REMINDER_JOB, reconcileReminders } from './reminder-jobs.ts';

export interface ManagerPartOptions {
  /** The chat platform reminders, digests and upstream incidents are posted through; see {@link platformFromConfig}. */
  platform?: ChatPlatform | undefined;
  /** For tests: the vendor pages' fetch. */
  fetch?: typeof fetch;
  /** How often reminders are reconciled and SEV1/SEV2 status changes looked for; 15 s by default. */
  scanMs?: number;
  /** How often due jobs are looked for; 1 s by default. */
  jobPollMs?: number;
}

/**
 * The platform background posts go through: Slack when SLACK_BOT_TOKEN is set (a Web API
 * client of its own). Teams posts proactively through its adapter, which lives in the Teams
 * part; until that part exposes its platform, Teams-only deployments get imports and
 * reminders in the log only.
 */
export function platformFromConfig(runtime: Runtime, logger: Parameters<ServerPartFactory>[0]['logger']): ChatPlatform | undefined {
  const { slack, publicUrl, incidentsChannel } = runtime.config;
  if (!slack.botToken) return undefined;
  const client = createSlackClient(slack.botToken, slack.apiUrl, logger);
  let botUserId: Promise<string | undefined> | undefined;
  return new SlackPlatform({
    client,
    db: runtime.app.db,
    i18n: runtime.i18n,
    logger,
    publicUrl,
    incidentsChannel,
    botUserId: () =>
      (botUserId ??= client.auth.test().then(
        (r) => r.user_id,
        () => {
          botUserId = undefined;
          return undefined;
        },
      )),
  });
}

/**
 * Managers and vendors as one server part: the postmortem URL, the upstream poller, the
 * reminder and digest jobs on the outbox's durable queue, and the SEV1/SEV2 status watcher.
 */
export function createManagerPart(deps: Parameters<ServerPartFactory>[0], options: ManagerPartOptions = {}): ServerPart {
  const { runtime } = deps;
  const { app, i18n, config } = runtime;
  const logger = deps.logger.child({ part: 'managers' });
  const platform = options.platform;
  const cron = config.digestCron ?? DEFAULT_DIGEST_CRON;
  // An invalid DIGEST_CRON stops start-up with one line, like every other bad setting.
  nextDigestAt(cron, config.teamTimeZone, app.clock.now());

  const poller = createUpstreamPoller({
    app,
    i18n,
    logger: logger.child({ worker: 'upstream' }),
    platform,
    intervalMs: config.upstreamPollSeconds * 1000,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const handlers: Record<string, JobHandler> = { [REMINDER_JOB]: createReminderHandler({ app, i18n, logger, platform }) };
  if (platform) {
    handlers[DIGEST_JOB] = async () => {
      await postDigest(app, i18n, platform);
      await armDigest(app, cron);
    };
  }
  const jobs = createJobWorker({
    db: app.db,
    clock: app.clock,
    handlers,
    intervalMs: options.jobPollMs ?? 1_000,
    onError: (e, job) => logger.warn({ err: e, job: job?.key }, 'manager job failed'),
    onDead: (job, error) => logger.error({ job: job.key, error }, 'manager job gave up'),
  });
  const scan = createPollLoop(
    async () => {
      await reconcileReminders(app);
      if (platform) await announceStatusChanges(app, i18n, platform);
      return 0;
    },
    { intervalMs: options.scanMs ?? 15_000, onError: (e) => logger.warn({ err: e }, 'manager scan failed') },
  );

  return {
    name: 'managers',
    routes(http) {
      registerPostmortemRoute(http, { db: app.db, i18n, languages: config.locales, adminToken: config.adminToken });
    },
    async start() {
      if (platform) await armDigest(app, cron);
      else logger.info('no chat platform for background posts: digests are off, reminders and upstream imports are logged');
      scan.start();
      jobs.start();
      poller.start();
    },
    async stop() {
      await poller.stop();
      await jobs.stop();
      await scan.stop();
    },
  };
}

/** The production factory for SERVER_PARTS. */
export const managerServerPart: ServerPartFactory = (deps) => createManagerPart(deps, { platform: platformFromConfig(deps.runtime, deps.logger.child({ part: 'managers' })) });
