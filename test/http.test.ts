import { Agent, get } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpServer, nodeHandler, type HttpServer, type HttpServerDeps } from '../src/http.ts';
import { createLogger } from '../src/logger.ts';
import { createMetrics } from '../src/metrics.ts';
import { captureLogs } from './helpers/log-capture.ts';

const servers: HttpServer[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function start(overrides: Partial<HttpServerDeps> = {}): Promise<{ server: HttpServer; base: string }> {
  const server = createHttpServer({
    database: { ping: async () => {} },
    logger: createLogger({ level: 'silent' }),
    metrics: createMetrics(),
    ...overrides,
  });
  servers.push(server);
  const { port } = await server.listen(0, '127.0.0.1');
  return { server, base: `http://127.0.0.1:${port}` };
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('health', () => {
  it('answers /healthz with 200 ok', async () => {
    const { base } = await start();
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('answers /readyz with 200 when the database pings', async () => {
    const { base } = await start();
    const res = await fetch(`${base}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ready', database: 'ok' });
  });

  it('answers /readyz with 503 and the reason when the ping fails', async () => {
    const { base } = await start({ database: { ping: async () => Promise.reject(new Error('connection refused')) } });
    const res = await fetch(`${base}/readyz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: 'unavailable', database: 'connection refused' });
  });

  it('answers /readyz with 503 instead of hanging when the ping never settles', async () => {
    const { base } = await start({ database: { ping: () => new Promise<void>(() => {}) } });
    // The check gives up after 2 s; the abort only guards against a hang, it is not a latency target.
    const res = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(3_000) });
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ status: 'unavailable', database: expect.stringContaining('timed out') });
  }, 10_000);
});

describe('metrics', () => {
  it('serves Prometheus text', async () => {
    const { base } = await start();
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(await res.text()).toContain('# TYPE http_request_duration_seconds histogram');
  });

  it('times requests under the matched route pattern, not the raw path', async () => {
    const { base } = await start({ routes: (app) => app.get('/things/:id', (c) => c.text(c.req.param('id'))) });
    await fetch(`${base}/things/42`);
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toMatch(/http_request_duration_seconds_count\{method="GET",route="\/things\/:id",status="200"\} 1/);
    expect(text).not.toContain('/things/42');
  });

  it('labels unknown paths as unmatched', async () => {
    const { base } = await start();
    await fetch(`${base}/no/such/page`);
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toMatch(/http_request_duration_seconds_count\{method="GET",route="unmatched",status="404"\} 1/);
  });

  it('reports db_ready from the database check', async () => {
    const { base } = await start({ database: { ping: async () => Promise.reject(new Error('down')) } });
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toMatch(/^db_ready 0$/m);
  });
});

describe('errors', () => {
  it('answers 500 with a reference and without the error message', async () => {
    const { base } = await start({
      routes: (app) =>
        app.get('/boom', () => {
          throw new Error('password=hunter2 at db.internal');
        }),
    });
    const res = await fetch(`${base}/boom`);
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(text).not.toContain('hunter2');
    expect(JSON.parse(text)).toEqual({ error: 'internal_error', reference: expect.stringMatching(/^[0-9a-f-]{36}$/) });
  });

  it('logs the error under the reference it answered with', async () => {
    const { logger, lines } = captureLogs('debug');
    const { base } = await start({
      logger,
      routes: (app) =>
        app.get('/boom', () => {
          throw new Error('kaboom');
        }),
    });
    const { reference } = (await (await fetch(`${base}/boom`)).json()) as { reference: string };
    const logged = lines().find((line) => line.reference === reference);
    expect(logged).toMatchObject({ msg: 'request failed', err: { message: 'kaboom' } });
  });

  it('answers unknown paths with 404 JSON', async () => {
    const { base } = await start();
    const res = await fetch(`${base}/nowhere`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: 'not_found' });
  });

  it('logs each request with method, path, status and duration', async () => {
    const { logger, lines } = captureLogs('debug');
    const { base } = await start({ logger });
    await fetch(`${base}/healthz?token=abc`);
    const logged = lines().find((line) => line.msg === 'http request');
    expect(logged).toMatchObject({ method: 'GET', path: '/healthz', status: 200, ms: expect.any(Number) });
  });
});

describe('nodeHandler', () => {
  it('lets a raw Node handler answer', async () => {
    const { base } = await start({
      routes: (app) =>
        app.get(
          '/raw',
          nodeHandler((_req, res) => {
            res.writeHead(201, { 'Content-Type': 'text/plain' });
            res.end('raw hello');
          }),
        ),
    });
    const res = await fetch(`${base}/raw`);
    expect(res.status).toBe(201);
    expect(await res.text()).toBe('raw hello');
  });

  it('gives the raw handler the unread request body', async () => {
    const { base } = await start({
      routes: (app) =>
        app.post(
          '/echo',
          nodeHandler(async (req, res) => {
            const chunks: Buffer[] = [];
            for await (const chunk of req) chunks.push(chunk as Buffer);
            res.writeHead(200, { 'Content-Type': 'application/json' });
            res.end(Buffer.concat(chunks));
          }),
        ),
    });
    const res = await fetch(`${base}/echo`, { method: 'POST', body: JSON.stringify({ command: '/incident' }) });
    expect(await res.json()).toEqual({ command: '/incident' });
  });

  it('waits for a handler that responds after returning, and times it under its status', async () => {
    const metrics = createMetrics();
    const { base } = await start({
      metrics,
      routes: (app) =>
        app.post(
          '/slack/events',
          nodeHandler((_req, res) => {
            // Bolt's HTTPReceiver returns at once and acknowledges later.
            setTimeout(() => {
              res.writeHead(202);
              res.end();
            }, 20);
          }),
        ),
    });
    const res = await fetch(`${base}/slack/events`, { method: 'POST', body: 'x' });
    expect(res.status).toBe(202);
    const text = await metrics.render();
    expect(text).toMatch(/http_request_duration_seconds_count\{method="POST",route="\/slack\/events",status="202"\} 1/);
  });
});

describe('close', () => {
  it('lets an in-flight request finish, then refuses connections', async () => {
    const started = deferred();
    const release = deferred();
    const { server, base } = await start({
      routes: (app) =>
        app.get('/slow', async (c) => {
          started.resolve();
          await release.promise;
          return c.text('done');
        }),
    });
    const slow = fetch(`${base}/slow`);
    await started.promise;
    let closed = false;
    const closing = server.close().then(() => (closed = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(closed).toBe(false);
    release.resolve();
    const res = await slow;
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('done');
    await closing;
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
  });

  it('cuts requests still running after the shutdown timeout', async () => {
    const started = deferred();
    const { server, base } = await start({
      shutdownTimeoutMs: 100,
      routes: (app) =>
        app.get('/stuck', async () => {
          started.resolve();
          return new Promise<Response>(() => {});
        }),
    });
    const stuck = fetch(`${base}/stuck`);
    await started.promise;
    await server.close();
    await expect(stuck).rejects.toThrow();
  });

  it('does not wait for idle keep-alive connections', async () => {
    const { server, base } = await start({ shutdownTimeoutMs: 60_000 });
    const agent = new Agent({ keepAlive: true });
    try {
      await new Promise<void>((resolve, reject) => {
        get(`${base}/healthz`, { agent }, (res) => res.resume().on('end', resolve)).on('error', reject);
      });
      await new Promise((resolve) => setImmediate(resolve));
      expect(Object.values(agent.freeSockets).flat()).toHaveLength(1);
      const began = performance.now();
      await server.close();
      expect(performance.now() - began).toBeLessThan(1_000);
    } finally {
      agent.destroy();
    }
  });

  it('can be called twice, and before listening', async () => {
    const { server } = await start();
    await Promise.all([server.close(), server.close()]);
    await server.close();
    const idle = createHttpServer({
      database: { ping: async () => {} },
      logger: createLogger({ level: 'silent' }),
      metrics: createMetrics(),
    });
    await expect(idle.close()).resolves.toBeUndefined();
  });
});
