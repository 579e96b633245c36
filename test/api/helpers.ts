import { randomUUID } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { apiServerPart } from '../../src/api/part.ts';
import { createApiToken } from '../../src/api/tokens.ts';
import { ConsolePlatform } from '../../src/chat/console/console-platform.ts';
import { chatPlatformsOf } from '../../src/chat/platforms.ts';
import { loadConfig } from '../../src/config.ts';
import { ManualClock } from '../../src/core/clock.ts';
import type { Database } from '../../src/db/client.ts';
import { createLogger, type Logger } from '../../src/logger.ts';
import { buildServer, type Server } from '../../src/main.ts';
import { openRuntime, type Runtime } from '../../src/runtime.ts';
import type { ServerPartFactory } from '../../src/server-part.ts';
import { T0, testI18n } from '../app/helpers.ts';

/** A tsuiki server with the API part over a test database, a manual clock, and a console chat platform to watch. */
export interface ApiHarness {
  base: string;
  server: Server;
  runtime: Runtime;
  clock: ManualClock;
  /** What the chat platform printed since the last call. */
  chat(): string;
  /** A new token under a fresh name. */
  token(prefix?: string): Promise<{ token: string; name: string; id: string }>;
  /** A request to the API with JSON in and out. */
  call(method: string, path: string, options?: CallOptions): Promise<ApiResponse>;
  close(): Promise<void>;
}

export interface CallOptions {
  token?: string;
  body?: unknown;
  /** Sent as is instead of JSON.stringify(body). */
  raw?: string;
  headers?: Record<string, string>;
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  text: string;
  // Parsed JSON bodies are read by property in tests.
  json: any;
}

/** Starts the server: the API part, plus the given parts (a chat platform is registered first when `chat` is set). */
export async function startApi(database: Database, options: { env?: Record<string, string>; chat?: boolean; parts?: ServerPartFactory[]; logger?: Logger } = {}): Promise<ApiHarness> {
  const clock = new ManualClock(T0);
  const config = loadConfig({ LOCALES: 'en,ja', TEAM_TIME_ZONE: 'Asia/Tokyo', PUBLIC_URL: 'https://tsuiki.example', ...options.env });
  const runtime = await openRuntime(config, { database, clock, i18n: testI18n() });
  let printed = '';
  if (options.chat) {
    const out = new PassThrough();
    out.setEncoding('utf8');
    out.on('data', (chunk: string) => (printed += chunk));
    chatPlatformsOf(runtime).register(new ConsolePlatform(out, testI18n(), 'Asia/Tokyo', 'en', () => clock.now()));
  }
  const server = await buildServer(runtime, { parts: [...(options.parts ?? []), apiServerPart], logger: options.logger ?? createLogger({ level: 'silent' }), port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${server.port}`;
  return {
    base,
    server,
    runtime,
    clock,
    chat() {
      const text = printed;
      printed = '';
      return text;
    },
    async token(prefix = 'ci') {
      const name = `${prefix}-${randomUUID().slice(0, 8)}`;
      const id = randomUUID();
      const { token } = await createApiToken(database.db, { id, name, now: clock.now() });
      return { token, name, id };
    },
    async call(method, path, { token, body, raw, headers = {} } = {}) {
      const payload = raw ?? (body === undefined ? undefined : JSON.stringify(body));
      const res = await fetch(`${base}${path}`, {
        method,
        headers: {
          ...(token ? { Authorization: `Bearer ${token}` } : {}),
          ...(payload !== undefined ? { 'Content-Type': 'application/json' } : {}),
          ...headers,
        },
        ...(payload !== undefined ? { body: payload } : {}),
      });
      const text = await res.text();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      return { status: res.status, headers: res.headers, text, json };
    },
    close: () => server.stop(),
  };
}
