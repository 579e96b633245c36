import type { ChatPlatform } from '../chat/platform.ts';
import { ChatPlatforms, chatPlatformsOf } from '../chat/platforms.ts';
import { postmortemLinksFor } from '../chat/postmortem-link.ts';
import { timelineLinksFor } from '../chat/timeline-link.ts';
import type { ServerPart, ServerPartDeps, SyncServerPartFactory } from '../server-part.ts';
import { ConfigError } from '../config.ts';
import { MAINTENANCE_JOB, runMaintenanceJob } from '../app/maintenance.ts';
import { createPollLoop } from '../outbox/loop.ts';
import { createUpstreamPoller } from '../upstream/poller.ts';
import { armMissingUpstreamPolls, UPSTREAM_POLL_JOB } from '../app/follow-upstream.ts';
import { announceStatusChanges, armDigest, DEFAULT_DIGEST_CRON, DIGEST_JOB, nextDigestAt, postDigest } from './digest.ts';
import { registerPostmortemRoute } from './postmortem-route.ts';
import { createReminderHandler, REMINDER_JOB, reconcileReminders } from './reminder-jobs.ts';
import { registerTimelineRoute } from './timeline-route.ts';

export interface ManagerPartOptions {
  /** Post through this platform only, instead of every platform registered on the runtime (tests). */
  platform?: ChatPlatform | undefined;
  /** For tests: the vendor pages' fetch. */
  fetch?: typeof fetch;
  /** How often reminders are reconciled and SEV1/SEV2 status changes looked for; 15 s by default. */
  scanMs?: number;
}

/**
 * Managers and vendors as one server part: the postmortem and timeline URLs, the upstream polls, the
 * reminder and digest jobs on the outbox's durable queue, and the SEV1/SEV2 status watcher.
 */
export function createManagerPart(deps: ServerPartDeps, options: ManagerPartOptions = {}): ServerPart {
  const { runtime } = deps;
  const { app, i18n, config } = runtime;
  const logger = deps.logger.child({ part: 'managers' });
  // Looked up when posting, not now: the Slack and Teams parts may be built after this one.
  const platforms = options.platform ? only(options.platform) : chatPlatformsOf(runtime);
  const hasPlatform = () => platforms.all().length > 0;
  const cron = config.digestCron ?? DEFAULT_DIGEST_CRON;
  // An invalid DIGEST_CRON stops start-up with one line, like every other bad setting.
  try {
    nextDigestAt(cron, config.teamTimeZone, app.clock.now());
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new ConfigError([`DIGEST_CRON: must be a cron expression such as "${DEFAULT_DIGEST_CRON}", got ${JSON.stringify(cron)} (${why})`]);
  }

  const poller = createUpstreamPoller({
    app,
    i18n,
    logger: logger.child({ worker: 'upstream' }),
    // Upstream incidents open their channel on the first platform (Slack before Teams).
    get platform() {
      return platforms.all()[0];
    },
    intervalMs: config.upstreamPollSeconds * 1000,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  // On the process's one job runner, beside Teams sends and every other job.
  const jobs = runtime.jobs;
  jobs.register(REMINDER_JOB, createReminderHandler({ app, i18n, logger, platforms: () => platforms.all() }));
  // Maintenance windows start and complete by themselves, chat platform or not.
  jobs.register(MAINTENANCE_JOB, (payload) => runMaintenanceJob(app, payload));
  // Each followed page's polls, one process at a time (see follow-upstream.ts).
  jobs.register(UPSTREAM_POLL_JOB, async (payload) => void (await poller.runJob(payload)));
  jobs.register(DIGEST_JOB, async () => {
    if (hasPlatform()) await postDigest(app, i18n, platforms);
    await armDigest(app, cron);
  });
  const scan = createPollLoop(
    async () => {
      await reconcileReminders(app);
      if (hasPlatform()) await announceStatusChanges(app, i18n, platforms);
      return 0;
    },
    { intervalMs: options.scanMs ?? 15_000, onError: (e) => logger.warn({ err: e }, 'manager scan failed') },
  );

  return {
    name: 'managers',
    routes(http) {
      registerPostmortemRoute(http, {
        db: app.db,
        i18n,
        languages: config.locales,
        adminToken: config.adminToken,
        links: postmortemLinksFor(runtime),
        teamTimeZone: config.teamTimeZone,
      });
      registerTimelineRoute(http, {
        db: app.db,
        i18n,
        languages: config.locales,
        teamTimeZone: config.teamTimeZone,
        links: timelineLinksFor(runtime),
        adminToken: config.adminToken,
        now: () => app.clock.now(),
      });
    },
    async start() {
      if (hasPlatform()) await armDigest(app, cron);
      else logger.info('no chat platform for background posts: digests are off, reminders and upstream imports are logged');
      await armMissingUpstreamPolls(app);
      scan.start();
      jobs.start();
    },
    async stop() {
      await jobs.stop();
      await scan.stop();
    },
  };
}

function only(platform: ChatPlatform): ChatPlatforms {
  const platforms = new ChatPlatforms();
  platforms.register(platform);
  return platforms;
}

/** The production factory for SERVER_PARTS: posts through every chat platform the Slack and Teams parts register. */
export const managerServerPart: SyncServerPartFactory = (deps) => createManagerPart(deps);
