import type { Config } from './config.ts';
import { DatabaseLockedError } from './db/client.ts';
import { createHttpServer, type HttpServer } from './http.ts';
import { createLogger, type Logger } from './logger.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import { openRuntime, type Runtime } from './runtime.ts';
import { statusPagePart } from './status-page/part.ts';
import { publishingPart } from './publish/part.ts';
import { managerServerPart } from './manager/part.ts';
import { livenessPart } from './outbox/liveness-part.ts';
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
export const SERVER_PARTS: ServerPartFactory[] = [livenessPart, statusPagePart, slackServerPart, teamsServerPart, publishingPart, managerServerPart];

/** A running server: its parts started, HTTP listening. */
export interface Server {
  runtime: Runtime;
  http: HttpServer;
  port: number;
  /** The parts built, in start order. */
  parts: readonly ServerPart[];
  /** What has not stopped yet ('http' and part names), for a shutdown that runs out of time. */
  running(): string[];
  /** Stops taking requests, stops the parts in reverse order, then closes the runtime; safe to call twice. */
  stop(): Promise<void>;
}

/** What a caller may choose instead of the defaults when building a server (tests, benchmarks). */
export interface ServerOverrides {
  /** The parts to build, in start order; SERVER_PARTS otherwise. */
  parts?: readonly ServerPartFactory[];
  logger?: Logger;
  metrics?: Metrics;
  /** Where to listen instead of the config's PORT and HOST (port 0: an ephemeral one). */
  port?: number;
  host?: string;
}

/** `tsuiki serve`: opens the runtime and serves HTTP until stopped. */
export async function startServer(config: Config, logger: Logger = createLogger({ level: config.logLevel })): Promise<Server> {
  const runtime = await openRuntime(config, { logger });
  try {
    return await buildServer(runtime, { logger });
  } catch (e) {
    await runtime.close();
    throw e;
  }
}

/**
 * Builds the parts over `runtime`, starts them and listens. Once it resolves the server owns
 * the runtime (`stop()` closes it); if it throws, the runtime is still the caller's to close.
 */
export async function buildServer(runtime: Runtime, overrides: ServerOverrides = {}): Promise<Server> {
  const { config } = runtime;
  const logger = overrides.logger ?? createLogger({ level: config.logLevel });
  const metrics = overrides.metrics ?? createMetrics();
  const parts: ServerPart[] = [];
  // In order: later parts see what earlier ones registered (chat platforms).
  for (const factory of overrides.parts ?? SERVER_PARTS) {
    const part = await factory({ runtime, logger, metrics });
    if (part) parts.push(part);
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
  const running = new Set<string>();
  const stopParts = async () => {
    for (const part of started.reverse()) {
      await part.stop?.().catch((e: unknown) => logger.error({ err: e, part: part.name }, 'stop failed'));
      running.delete(part.name);
    }
  };
  let port: number;
  try {
    for (const part of parts) {
      await part.start?.();
      started.push(part);
      running.add(part.name);
    }
    ({ port } = await http.listen(overrides.port ?? config.port, overrides.host ?? config.host));
    running.add('http');
  } catch (e) {
    await stopParts();
    throw e;
  }
  logger.info({ port, database: runtime.database.kind, locales: config.locales, parts: parts.map((p) => p.name) }, 'tsuiki is serving');
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await http.close();
      running.delete('http');
      await stopParts();
      await runtime.close();
      logger.info('tsuiki stopped');
    })());
  return { runtime, http, port, parts, running: () => [...running], stop };
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
