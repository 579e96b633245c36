import { createRuntime } from '../../src/runtime.ts';
import { loadConfig } from '../../src/config.ts';
import type { AppContext, AppSettings } from '../../src/app/context.ts';
import type { ManualClock } from '../../src/core/clock.ts';
import type { Database } from '../../src/db/client.ts';
import { createHttpServer } from '../../src/http.ts';
import { createLogger } from '../../src/logger.ts';
import { createMetrics } from '../../src/metrics.ts';
import type { Actor } from '../../src/core/model.ts';
import { createSignInLink } from '../../src/web/auth.ts';
import { webAppPart } from '../../src/web/part.ts';
import { makeContext, testI18n } from '../app/helpers.ts';

export const ADMIN_TOKEN = 'admin-token-for-web-tests-0123456789';

/** The web app alone over `database`, on an ephemeral port, with its own clock. */
export async function startWebApp(
  database: Database,
  options: { env?: Record<string, string>; settings?: Partial<AppSettings> } = {},
): Promise<{ base: string; ctx: AppContext; clock: ManualClock; close(): Promise<void> }> {
  const config = loadConfig({
    LOCALES: 'en,ja',
    TEAM_TIME_ZONE: 'Asia/Tokyo',
    TIME_ZONES: 'en=UTC,ja=Asia/Tokyo',
    ADMIN_TOKEN,
    WEB_SESSION_SECRET: 'web-session-secret-for-tests-0123456789',
    PUBLIC_URL: 'http://127.0.0.1',
    ...options.env,
  });
  const { ctx, clock } = makeContext(database.db, { ...options.settings, publicUrl: config.publicUrl });
  const runtime = createRuntime(config, database, { app: ctx, i18n: testI18n() });
  const logger = createLogger({ level: 'silent' });
  const part = webAppPart({ runtime, logger, metrics: createMetrics() });
  const server = createHttpServer({ database: { ping: async () => {} }, logger, metrics: createMetrics(), routes: (app) => part?.routes?.(app), shutdownTimeoutMs: 1000 });
  const { port } = await server.listen(0, '127.0.0.1');
  return {
    base: `http://127.0.0.1:${port}`,
    ctx,
    clock,
    close: () => server.close(),
  };
}

/** A sign-in link for a chat user, as the `web` command makes it, pointed at this server. */
export async function signInLink(ctx: AppContext, base: string, actor: Actor): Promise<string> {
  const { url } = await createSignInLink(ctx.db, { platform: actor.platform, userId: actor.id, userName: actor.name, lang: actor.lang }, { publicUrl: base, now: ctx.clock.now() });
  return url;
}

/** A tiny HTTP client that keeps cookies (no redirects followed). */
export class Browserless {
  readonly cookies = new Map<string, string>();
  /** The raw Set-Cookie headers of the last response. */
  lastSetCookie: string[] = [];
  constructor(readonly base: string) {}

  async request(path: string, init: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {}): Promise<Response> {
    const headers: Record<string, string> = { ...init.headers };
    if (this.cookies.size) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    let body: string | undefined;
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    }
    const url = path.startsWith('http') ? path : this.base + path;
    const res = await fetch(url, { method: init.method ?? (init.form ? 'POST' : 'GET'), headers, body, redirect: 'manual' });
    this.lastSetCookie = res.headers.getSetCookie();
    for (const line of this.lastSetCookie) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq);
      const value = pair!.slice(eq + 1);
      if (value === '' || /max-age=0/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }

  /** A hidden field's value in a page's HTML. */
  static hidden(html: string, name: string): string {
    const match = new RegExp(`name="${name}" value="([^"]*)"`).exec(html);
    if (!match) throw new Error(`no hidden ${name} in page`);
    return match[1]!;
  }

  /** Opens the link's page and presses its sign-in button; the response of the POST. */
  async signInWith(link: string): Promise<Response> {
    const page = await (await this.request(link)).text();
    return this.request('/app/sign-in', { form: { token: Browserless.hidden(page, 'token'), _pre: Browserless.hidden(page, '_pre') } });
  }

  /** The CSRF token on a page of the app. */
  async csrf(path = '/app/account'): Promise<string> {
    return Browserless.hidden(await (await this.request(path)).text(), '_csrf');
  }
}
