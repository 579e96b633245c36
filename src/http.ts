import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { finished } from 'node:stream/promises';
import { getRequestListener, type HttpBindings } from '@hono/node-server';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import { Hono, type Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { routePath } from 'hono/route';
import type { Logger } from './logger.ts';
import type { Metrics } from './metrics.ts';

/** Hono env of tsuiki's app: `c.env.incoming` / `c.env.outgoing` are the raw Node request and response. */
export type AppEnv = { Bindings: HttpBindings };

/** The one Hono app of the process. */
export type App = Hono<AppEnv>;

/** The process's HTTP server: the app, plus listening and graceful shutdown. */
export interface HttpServer {
  app: App;
  /** Resolves once bound, with the actual port (0 asks for an ephemeral one). */
  listen(port: number, host: string): Promise<{ port: number }>;
  /** Stops accepting connections, lets in-flight requests finish (bounded), then resolves; safe to call twice. */
  close(): Promise<void>;
}

/** What {@link createHttpServer} needs. */
export interface HttpServerDeps {
  /** Structural so tests need no database; production passes `Database` from db/client.ts. */
  database: { ping(): Promise<void> };
  logger: Logger;
  metrics: Metrics;
  /** Adds the product's routes (Slack, Teams, status page); called after the built-in ones. */
  routes?: (app: App) => void;
  /**
   * Tried before the Hono app for every request: true when it answered (the status page's
   * cached renders, with no Request/Response objects and no routing). Skips the request metrics.
   */
  fastPath?: (req: IncomingMessage, res: ServerResponse) => boolean;
  /** How long close() waits for in-flight requests before cutting their connections; 10 s by default. */
  shutdownTimeoutMs?: number;
}

/** A raw Node handler, as Slack Bolt's and botbuilder's HTTP entry points are. */
export type NodeRequestHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;

const READY_TIMEOUT_MS = 2_000;
const SHUTDOWN_TIMEOUT_MS = 10_000;
// Longer than common load balancers' idle timeout (60 s), so the balancer, not us, closes idle
// connections and never sends a request on a socket we are closing (which it would answer with a 502).
const KEEP_ALIVE_TIMEOUT_MS = 65_000;

/** Creates the HTTP server with health, readiness, metrics, request timing and one error handler. */
export function createHttpServer(deps: HttpServerDeps): HttpServer {
  const { database, logger, metrics } = deps;
  const app: App = new Hono<AppEnv>();
  let lastReady: boolean | undefined;

  async function checkDatabase(): Promise<string | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`ping timed out after ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
    });
    let problem: string | undefined;
    try {
      // Promise.resolve().then: a ping that throws synchronously is reported like one that rejects.
      await Promise.race([Promise.resolve().then(() => database.ping()), timeout]);
    } catch (err) {
      problem = err instanceof Error ? err.message : String(err);
    } finally {
      clearTimeout(timer);
    }
    metrics.dbReady.set(problem === undefined ? 1 : 0);
    // Probes run every few seconds: log changes, not every failed probe.
    if (problem !== undefined && lastReady !== false) logger.warn({ problem }, 'database not ready');
    if (problem === undefined && lastReady === false) logger.info('database ready again');
    lastReady = problem === undefined;
    return problem;
  }

  // Registered first, so it is index 0 of every match: still at index 0 after next() means no route answered.
  app.use('*', async (c, next) => {
    const started = performance.now();
    await next();
    const ms = performance.now() - started;
    const status = responseStatus(c);
    const route = c.req.routeIndex === 0 ? 'unmatched' : routePath(c);
    metrics.httpRequestDuration.observe({ method: c.req.method, route, status: String(status) }, ms / 1000);
    // The path only: query strings carry tokens (subscription confirmations).
    const entry = { method: c.req.method, path: c.req.path, status, ms: Math.round(ms * 10) / 10 };
    if (status >= 500) logger.info(entry, 'http request');
    else logger.debug(entry, 'http request');
  });

  app.get('/healthz', (c) => c.json({ status: 'ok' }));

  app.get('/readyz', async (c) => {
    const problem = await checkDatabase();
    return problem === undefined
      ? c.json({ status: 'ready', database: 'ok' })
      : c.json({ status: 'unavailable', database: problem }, 503);
  });

  app.get('/metrics', async (c) => {
    // Refreshed on scrape, so db_ready is current even where nothing probes /readyz.
    await checkDatabase();
    return c.body(await metrics.render(), 200, { 'Content-Type': metrics.contentType });
  });

  deps.routes?.(app);

  app.notFound((c) => c.json({ error: 'not_found' }, 404));

  app.onError((err, c) => {
    // Deliberate client errors (validation, body limits) keep their own response.
    if (err instanceof HTTPException && err.status < 500) return err.getResponse();
    const reference = randomUUID();
    logger.error({ err, reference, method: c.req.method, path: c.req.path }, 'request failed');
    const outgoing = (c.env as Partial<HttpBindings> | undefined)?.outgoing;
    if (outgoing?.headersSent) {
      // A raw handler failed mid-response: nothing more can be said to the client.
      outgoing.destroy();
      return RESPONSE_ALREADY_SENT;
    }
    // The message may hold internals (SQL, hosts); the reference ties the reply to the log line.
    return c.json({ error: 'internal_error', reference }, 500);
  });

  let server: Server | undefined;
  let closing: Promise<void> | undefined;
  const inFlight = new Set<ServerResponse>();

  function listen(port: number, host: string): Promise<{ port: number }> {
    if (server) return Promise.reject(new Error('the HTTP server is already listening'));
    const listener = getRequestListener(app.fetch);
    const fastPath = deps.fastPath;
    const node = createServer();
    server = node;
    node.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
    node.headersTimeout = KEEP_ALIVE_TIMEOUT_MS + 1_000;
    node.on('request', (_req: IncomingMessage, res: ServerResponse) => {
      // A request arriving while closing is served, but its connection is not kept for another.
      if (closing) res.setHeader('Connection', 'close');
      inFlight.add(res);
      res.once('close', () => inFlight.delete(res));
    });
    // After the bookkeeping above, so a fast answer is counted in flight and gets `Connection: close` when closing.
    node.on('request', fastPath ? (req: IncomingMessage, res: ServerResponse) => fastPath(req, res) || void listener(req, res) : listener);
    return new Promise((resolve, reject) => {
      node.once('error', reject);
      node.listen(port, host, () => {
        node.off('error', reject);
        node.on('error', (err) => logger.error({ err }, 'http server error'));
        resolve({ port: (node.address() as AddressInfo).port });
      });
    });
  }

  function close(): Promise<void> {
    closing ??= new Promise<void>((resolve) => {
      const node = server;
      if (!node?.listening) {
        resolve();
        return;
      }
      const timer = setTimeout(() => {
        logger.warn({ inFlight: inFlight.size }, 'shutdown timeout: closing remaining connections');
        node.closeAllConnections();
      }, deps.shutdownTimeoutMs ?? SHUTDOWN_TIMEOUT_MS);
      timer.unref();
      node.close(() => {
        clearTimeout(timer);
        resolve();
      });
      // close() alone waits for keep-alive sockets to time out; idle ones go now, busy ones after their response.
      node.closeIdleConnections();
      for (const res of inFlight) {
        if (!res.headersSent) res.setHeader('Connection', 'close');
        res.once('finish', () => setImmediate(() => node.closeIdleConnections()));
      }
    });
    return closing;
  }

  return { app, listen, close };
}

/** Wraps a raw Node handler (Slack Bolt, botbuilder) as a Hono handler; the request body must not have been read. */
export function nodeHandler(fn: NodeRequestHandler): (c: Context) => Promise<Response> {
  return async (c) => {
    const { incoming, outgoing } = (c.env ?? {}) as Partial<HttpBindings>;
    if (!incoming || !outgoing) throw new Error('nodeHandler needs the @hono/node-server adapter');
    await fn(incoming, outgoing);
    // Bolt's and botbuilder's listeners may return before they respond: the request lasts until the response ends.
    await finished(outgoing).catch(() => undefined);
    return RESPONSE_ALREADY_SENT;
  };
}

// Hono's own responses are written after the app returns, so headers already sent mean a raw handler
// answered, and its status lives on the Node response (Hono only holds the "already sent" marker).
function responseStatus(c: Context<AppEnv>): number {
  const outgoing = (c.env as Partial<HttpBindings> | undefined)?.outgoing;
  return outgoing?.headersSent ? outgoing.statusCode : c.res.status;
}
