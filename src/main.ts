import { constants as osConstants } from 'node:os';
import type { Config } from './config.ts';
import { DatabaseLockedError, DatabaseUnreachableError } from './db/client.ts';
import { createHttpServer, type HttpServer } from './http.ts';
import { createLogger, type Logger } from './logger.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import { openRuntime, type Runtime } from './runtime.ts';
import { statusPagePart } from './status-page/part.ts';
import { maintenancePagePart } from './status-page/maintenance-routes.ts';
import { publishingPart } from './publish/part.ts';
import { managerServerPart } from './manager/part.ts';
import { livenessPart } from './outbox/liveness-part.ts';
import { alertsServerPart } from './alerts/part.ts';
import { apiServerPart } from './api/part.ts';
import { webAppPart, webAppUrl } from './web/part.ts';
import type { ServerPart, ServerPartFactory } from './server-part.ts';

/**
 * Slack and Teams are loaded only when their settings are there: Bolt and botbuilder are
 * the largest code tsuiki carries (about 0.4 s of start-up and 80 MB together), and a
 * team on one platform pays for neither of the other's.
 */
const slackServerPart: ServerPartFactory = async (deps) =>
  deps.runtime.config.slack.botToken ? (await import('./chat/slack/server-part.ts')).slackServerPart(deps) : undefined;
const teamsServerPart: ServerPartFactory = async (deps) =>
  deps.runtime.config.teams.appId || deps.runtime.config.teams.playground ? (await import('./chat/teams/teams-part.ts')).teamsServerPart(deps) : undefined;

/** Every optional part of the server, in start order; each integration adds itself here. */
export const SERVER_PARTS: ServerPartFactory[] = [livenessPart, statusPagePart, maintenancePagePart, slackServerPart, teamsServerPart, publishingPart, managerServerPart, webAppPart, apiServerPart, alertsServerPart];

/** A running server: its parts started, HTTP listening. */
export interface Server {
  runtime: Runtime;
  http: HttpServer;
  port: number;
  /** The parts built, in start order. */
  parts: readonly ServerPart[];
  /** What has not stopped yet ('http', part names, 'database'), for a shutdown that runs out of time. */
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
    fastPath: (req, res) => {
      for (const part of parts) if (part.fastPath?.(req, res)) return true;
      return false;
    },
    // Keep-alive and slow connections are cut once the grace is over, so close() always ends.
    shutdownTimeoutMs: config.shutdownGraceSeconds * 1000,
  });
  const started: ServerPart[] = [];
  const running = new Set<string>(['database']);
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
  const statusPage = statusPageUrl(config, port, overrides.host ?? config.host);
  logger.info({ port, statusPage, database: runtime.database.kind, locales: config.locales, parts: parts.map((p) => p.name) }, 'tsuiki is serving');
  logger.info({ statusPage }, `status page: ${statusPage}`);
  logger.info({ webApp: webAppUrl(statusPage) }, `web app: ${webAppUrl(statusPage)}`);
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await http.close();
      running.delete('http');
      await stopParts();
      await runtime.close();
      running.delete('database');
      logger.info('tsuiki stopped');
    })());
  return { runtime, http, port, parts, running: () => [...running], stop };
}

/** How a bounded stop ended. */
export type StopOutcome = 'stopped' | 'failed' | 'timed out';

/**
 * Runs `stop` for at most `graceMs` and says how it ended: 'stopped', 'failed' (logged), or
 * 'timed out' — logged as a warning naming what `running()` still lists; the stop is then left
 * to itself and never waited for.
 */
export async function boundedStop(stop: () => Promise<void>, graceMs: number, logger: Logger, running: () => string[] = () => []): Promise<StopOutcome> {
  let timer: NodeJS.Timeout | undefined;
  const graceOver = new Promise<StopOutcome>((resolve) => {
    timer = setTimeout(() => resolve('timed out'), graceMs);
  });
  const finished = Promise.resolve()
    .then(stop)
    .then(
      (): StopOutcome => 'stopped',
      (e: unknown): StopOutcome => {
        logger.error({ err: e }, 'shutdown failed');
        return 'failed';
      },
    );
  const outcome = await Promise.race([finished, graceOver]);
  clearTimeout(timer);
  if (outcome === 'timed out') {
    logger.warn({ graceSeconds: graceMs / 1000, running: running() }, 'shutdown grace is over: exiting with work still running');
  }
  return outcome;
}

/** Where {@link stopOnSignals} hears signals and how it exits: the process's own unless a test passes others. */
export interface SignalHooks {
  signals?: { on(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown };
  exit?: (code: number) => void;
}

/**
 * On SIGTERM or SIGINT the server stops taking work and running work may finish for at most
 * `graceMs`; the process then exits 0 even if something is still running (1 if stopping
 * failed). A second signal exits at once, with 128 + its number as a shell reports it.
 */
export function stopOnSignals(server: Pick<Server, 'stop' | 'running'>, graceMs: number, logger: Logger, hooks: SignalHooks = {}): void {
  const exit = hooks.exit ?? ((code: number) => process.exit(code));
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal, running: server.running() }, 'second signal: exiting at once');
      exit(128 + (osConstants.signals[signal] ?? 0));
      return;
    }
    stopping = true;
    logger.info({ signal, graceSeconds: graceMs / 1000 }, 'shutting down');
    void boundedStop(() => server.stop(), graceMs, logger, () => server.running()).then((outcome) => exit(outcome === 'failed' ? 1 : 0));
  };
  const signals = hooks.signals ?? process;
  signals.on('SIGTERM', onSignal);
  signals.on('SIGINT', onSignal);
}

/**
 * Where readers find the status page: PUBLIC_URL + /status when it is set, otherwise this
 * process's own address (a wildcard HOST shown as localhost).
 */
export function statusPageUrl(config: Pick<Config, 'publicUrl' | 'port'>, port: number, host: string): string {
  // loadConfig derives publicUrl from PORT when PUBLIC_URL is unset; PORT=0 then says nothing useful.
  const publicUrlUnset = config.publicUrl === `http://localhost:${config.port}`;
  if (!publicUrlUnset) return `${config.publicUrl}/status`;
  const shown = host === '0.0.0.0' || host === '::' || host === '' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  return `http://${shown}:${port}/status`;
}

/** A start-up failure as one clear line for the terminal. */
export function describeStartupError(e: unknown): string {
  if (e instanceof DatabaseUnreachableError) return e.message;
  if (e instanceof DatabaseLockedError) {
    return `${e.message}: stop the other process, or set DATABASE_URL to share a PostgreSQL server between processes`;
  }
  if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') return `port already in use: set PORT to another port (${(e as Error).message})`;
  return e instanceof Error ? e.message : String(e);
}
