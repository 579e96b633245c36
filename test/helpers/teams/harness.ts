import { readFileSync } from 'node:fs';
import type { AppSettings } from '../../../src/app/context.ts';
import { teamsPart, type TeamsPartOptions } from '../../../src/chat/teams/teams-part.ts';
import { loadConfig } from '../../../src/config.ts';
import { ManualClock } from '../../../src/core/clock.ts';
import type { Database } from '../../../src/db/client.ts';
import type { HttpServer } from '../../../src/http.ts';
import { createLogger } from '../../../src/logger.ts';
import { buildServer } from '../../../src/main.ts';
import type { TranslationService } from '../../../src/translate/translation-service.ts';
import { openRuntime, type Runtime } from '../../../src/runtime.ts';
import { T0, testI18n } from '../../app/helpers.ts';
import { ConnectorServer } from './connector-server.ts';
import { SPECS } from './schemas.ts';

type Activity = Record<string, unknown> & { conversation: { id: string } & Record<string, unknown>; from: Record<string, unknown> };

/** A recorded Teams activity (see specs/teams/INDEX.json), deep-copied. */
export function recorded(file: string, pointer: string): Activity {
  let value: unknown = JSON.parse(readFileSync(`${SPECS}/teams/${file}`, 'utf8').replace(/^\uFEFF/, ''));
  for (const key of pointer.split('/').filter(Boolean)) value = (value as Record<string, unknown>)[key];
  return structuredClone(value) as Activity;
}

/** POSTs an activity to `base`/api/messages like the Bot Framework service does; the answer's body parsed when it is JSON. */
export async function postActivity(base: string, activity: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${base}/api/messages`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(activity) });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body };
}

export interface TeamsHarness {
  server: HttpServer;
  url: string;
  connector: ConnectorServer;
  runtime: Runtime;
  /** The runtime's clock: a retried send is due once it has moved past the retry's time. */
  clock: ManualClock;
  /** POSTs an activity to /api/messages like the Bot Framework service does. */
  post(activity: unknown, headers?: Record<string, string>): Promise<{ status: number; body: unknown }>;
  /** Waits until the Teams worker has sent everything due now (what the turns queued). */
  settle(): Promise<void>;
  close(): Promise<void>;
}

/**
 * tsuiki's HTTP server with the Teams part (and its worker) over a test database, and a local
 * connector for its replies. Pass `connector` to share one across harnesses, as a restarted
 * process reaches the same Teams.
 */
export async function openTeamsHarness(
  database: Database,
  options: { env?: Record<string, string>; part?: TeamsPartOptions; settings?: Partial<AppSettings>; connector?: ConnectorServer; translator?: TranslationService } = {},
): Promise<TeamsHarness> {
  const connector = options.connector ?? (await new ConnectorServer().start());
  const config = loadConfig({ LOCALES: 'en,ja', TEAM_TIME_ZONE: 'Asia/Tokyo', TIME_ZONES: 'en=UTC,ja=Asia/Tokyo', ...options.env });
  const clock = new ManualClock(T0);
  const runtime = await openRuntime(config, { database, clock, i18n: testI18n(), settings: options.settings, ...(options.translator ? { translator: options.translator } : {}) });
  const teams = teamsPart({ enableWithoutAppId: true, ...options.part });
  let part: ReturnType<typeof teams>;
  const server = await buildServer(runtime, {
    parts: [(deps) => (part = teams(deps))],
    logger: createLogger({ level: 'silent' }),
    port: 0,
    host: '127.0.0.1',
  });
  if (!part) {
    await server.stop();
    throw new Error('teams part not built');
  }
  const { worker } = part;
  const { port } = server;
  const url = `http://127.0.0.1:${port}`;
  return {
    server: server.http,
    url,
    connector,
    runtime,
    clock,
    settle: () => worker.drain(),
    post: (activity, headers) => postActivity(url, activity, headers),
    async close() {
      await server.stop();
      if (!options.connector) await connector.stop();
    },
  };
}
