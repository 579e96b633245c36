import { type App, createHttpServer, type HttpServer, type HttpServerDeps } from '../../src/http.ts';
import { createLogger } from '../../src/logger.ts';
import { createMetrics } from '../../src/metrics.ts';

/** A silent HTTP server on a free port of 127.0.0.1 with only `routes` mounted (as a part mounts them), and its base URL. */
export async function serveRoutes(database: HttpServerDeps['database'], routes: (app: App) => void): Promise<{ http: HttpServer; base: string }> {
  const http = createHttpServer({ database, logger: createLogger({ level: 'silent' }), metrics: createMetrics(), routes });
  const { port } = await http.listen(0, '127.0.0.1');
  return { http, base: `http://127.0.0.1:${port}` };
}
