import type { Config } from './config.ts';
import { DatabaseLockedError } from './db/client.ts';
import { createHttpServer, type HttpServer } from './http.ts';
import { createLogger, type Logger } from './logger.ts';
import { createMetrics } from './metrics.ts';
import { openRuntime, type Runtime } from './runtime.ts';
import { statusPagePart } from './status-page/part.ts';
import { publishingPart } from './publish/part.ts';
import { managerServerPart } from './manager/part.ts';
import type { ServerPart, ServerPartFactory } from './server-part.ts';

/**
 * Slack and Teams are loaded only when their settings are there: Bolt and botbuilder are
 * the largest code tsuiki carries (about 0.4 s of start-up and 80 MB together), and a
 * team on one platform pays for neither of the other's.
 */
const slackServerPart: ServerPartFactory = async (deps) =>
  deps.runtime.config.slack.botToken ? (await import('./chat/slack/server-part.ts')).slackServerPart(deps) : undefined;
const teamsServerPart: ServerPartFactory = async (deps) =>
  deps.runtime.config.teams.appId ? (await import('./chat/teams/teams-part.ts')).teamsServerPart(deps) : undefined;

/** Every optional part of the server, in start order; each integration adds itself here. */
export const SERVER_PARTS: ServerPartFactory[] = [statusPagePart, slackServerPart, teamsServerPart, publishingPart, managerServerPart];

export interface Server {
  runtime: Runtime;
  http: HttpServer;
  port: number;
  stop(): Promise<void>;
}

/** `tsuiki serve`: opens the runtime and serves HTTP until stopped. */
export async function startServer(config: Config, logger: Logger = createLogger({ level: config.logLevel })): Promise<Server> {
  const runtime = await openRuntime(config);
  const metrics = createMetrics();
  const parts: ServerPart[] = [];
  try {
    // In order: later parts see what earlier ones registered (chat platforms).
    for (const factory of SERVER_PARTS) {
      const part = await factory({ runtime, logger, metrics });
      if (part) parts.push(part);
    }
  } catch (e) {
    await runtime.close();
    throw e;
  }
  const http = createHttpServer({
    database: runtime.database,
    logger,
    metrics,
    routes: (app) => {
      for (const part of parts) part.routes?.(app);
    },
  });
  const started: ServerPart[] = [];
  const stopParts = async () => {
    for (const part of started.reverse()) await part.stop?.().catch((e: unknown) => logger.error({ err: e, part: part.name }, 'stop failed'));
  };
  let port: number;
  try {
    for (const part of parts) {
      await part.start?.();
      started.push(part);
    }
    ({ port } = await http.listen(config.port, config.host));
  } catch (e) {
    await stopParts();
    await runtime.close();
    throw e;
  }
  logger.info({ port, database: runtime.database.kind, locales: config.locales, parts: parts.map((p) => p.name) }, 'tsuiki is serving');
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await http.close();
      await stopParts();
      await runtime.close();
      logger.info('tsuiki stopped');
    })());
  return { runtime, http, port, stop };
}

/** Stops gracefully on SIGTERM/SIGINT: in-flight requests finish, the database closes cleanly. */
export function stopOnSignals(stop: () => Promise<void>, logger: Logger): void {
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) return;
    signalled = true;
    logger.info({ signal }, 'shutting down');
    stop().then(
      () => process.exit(0),
      (e: unknown) => {
        logger.error({ err: e }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
}

/** A start-up failure as one clear line for the terminal. */
export function describeStartupError(e: unknown): string {
  if (e instanceof DatabaseLockedError) {
    return `${e.message}: stop the other process, or set DATABASE_URL to share a PostgreSQL server between processes`;
  }
  if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') return `port already in use: set PORT to another port (${(e as Error).message})`;
  return e instanceof Error ? e.message : String(e);
}
