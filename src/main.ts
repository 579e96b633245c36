import type { Config } from './config.ts';
import { DatabaseLockedError } from './db/client.ts';
import { createHttpServer, type HttpServer } from './http.ts';
import { createLogger, type Logger } from './logger.ts';
import { createMetrics } from './metrics.ts';
import { openRuntime, type Runtime } from './runtime.ts';

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
  const http = createHttpServer({ database: runtime.database, logger, metrics });
  let port: number;
  try {
    ({ port } = await http.listen(config.port, config.host));
  } catch (e) {
    await runtime.close();
    throw e;
  }
  logger.info({ port, database: runtime.database.kind, locales: config.locales }, 'tsuiki is serving');
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await http.close();
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
