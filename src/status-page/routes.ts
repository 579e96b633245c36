import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { App, AppEnv } from '../http.ts';
import type { Db } from '../db/client.ts';
import type { I18n } from '../i18n.ts';
import { RenderCache, watchChanges } from './cache.ts';
import { loadStatusData, type StatusData } from './data.ts';
import { renderAtom, renderRss } from './feeds.ts';
import { type PageContext, renderHistoryPage, renderIncidentPage, renderMessagePage, renderStatusPage, renderUnsubscribeForm } from './html.ts';
import { JSON_DOCUMENTS, type JsonDocument, safeJson } from './statuspage-json.ts';
import { unsubscribeByToken } from '../app/unsubscribe.ts';
import { confirmSubscription, RateLimiter, type SendConfirmation, subscribe } from './subscriptions.ts';

/** What the status page needs from the composition root. */
export interface StatusPageDeps {
  db: Db;
  i18n: I18n;
  languages: readonly string[];
  timeZones: Record<string, string>;
  publicUrl: string;
  now: () => Date;
  /** Undefined when email is not configured: the form is hidden and subscribing answers 503. */
  sendConfirmation?: SendConfirmation;
  /** Fingerprint polling interval, the safety net under LISTEN/NOTIFY. */
  pollMs?: number;
  /**
   * Reverse proxies in front (TRUST_PROXY_HOPS) whose X-Forwarded-For entries say who the
   * client is, for the per-client limits; 0 (the default) trusts none: anyone can write
   * that header, so without a proxy it would let a client pick a fresh address per request.
   */
  trustProxyHops?: number;
  onError?: (e: unknown) => void;
}

export interface StatusPage {
  routes(app: App): void;
  start(): Promise<void>;
  stop(): Promise<void>;
  cache: RenderCache;
}

// Short enough that a CDN in front shows an update within about a second; ETag makes revalidation cheap.
const CACHE_CONTROL = 'public, max-age=1';
const NO_STORE = 'no-store';

/** Languages the client accepts, best first (RFC 9110 Accept-Language with q-values). */
export function acceptedLanguages(header: string | undefined): string[] {
  if (!header) return [];
  return header
    .split(',')
    .map((part, index) => {
      const [tag, ...params] = part.trim().split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      return { tag: (tag ?? '').trim().toLowerCase(), q: q ? Number(q.slice(2)) : 1, index };
    })
    .filter((x) => x.tag && x.tag !== '*' && Number.isFinite(x.q) && x.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index)
    .map((x) => x.tag);
}

/** The status page: HTML, feeds, Statuspage-v2 JSON and subscriptions, rendered once per change. */
export function createStatusPage(deps: StatusPageDeps): StatusPage {
  const cache = new RenderCache(() => loadStatusData(deps.db, deps.now()), () => deps.now().getTime());
  const limiter = new RateLimiter(10, 10 * 60_000, () => deps.now().getTime());
  let watcher: Awaited<ReturnType<typeof watchChanges>> | undefined;

  function langOf(c: Context<AppEnv>): { lang: string; negotiated: boolean } {
    const asked = c.req.query('lang');
    if (asked && deps.languages.includes(asked)) return { lang: asked, negotiated: false };
    for (const tag of acceptedLanguages(c.req.header('accept-language'))) {
      const found = deps.languages.find((l) => l.toLowerCase() === tag) ?? deps.languages.find((l) => l.toLowerCase() === tag.split('-')[0]);
      if (found) return { lang: found, negotiated: true };
    }
    return { lang: deps.languages[0]!, negotiated: true };
  }

  function pageContext(lang: string): PageContext {
    return {
      lang,
      zone: deps.timeZones[lang] ?? 'UTC',
      languages: deps.languages,
      publicUrl: deps.publicUrl,
      i18n: deps.i18n,
      subscriptions: deps.sendConfirmation !== undefined,
    };
  }

  async function serve(
    c: Context<AppEnv>,
    name: string,
    render: (data: StatusData, lang: string) => { body: string; contentType: string } | undefined,
  ): Promise<Response> {
    const { lang, negotiated } = langOf(c);
    const rendered = await cache.get(`${name}|${lang}`, (data) => render(data, lang));
    const headers: Record<string, string> = {
      'Cache-Control': CACHE_CONTROL,
      'Content-Language': lang,
      'X-Content-Type-Options': 'nosniff',
    };
    if (negotiated) headers.Vary = 'Accept-Language';
    if (!rendered) {
      const t = deps.i18n.t(lang);
      const body = name.startsWith('json')
        ? safeJson({ error: 'not_found' })
        : renderMessagePage(pageContext(lang), t('public:incident.notFoundTitle'), t('public:incident.notFound'));
      return c.body(body, 404, { ...headers, 'Content-Type': name.startsWith('json') ? 'application/json; charset=utf-8' : 'text/html; charset=utf-8' });
    }
    headers.ETag = rendered.etag;
    headers['Last-Modified'] = rendered.lastModified.toUTCString();
    const inm = c.req.header('if-none-match');
    const ims = c.req.header('if-modified-since');
    const notModified = inm
      ? inm.split(',').some((tag) => tag.trim() === rendered.etag || tag.trim() === `W/${rendered.etag}`)
      : ims !== undefined && Math.floor(rendered.lastModified.getTime() / 1000) <= Math.floor(Date.parse(ims) / 1000);
    if (notModified) return c.body(null, 304, headers);
    return c.body(rendered.body, 200, { ...headers, 'Content-Type': rendered.contentType });
  }

  const htmlOf = (body: string | undefined) => (body === undefined ? undefined : { body, contentType: 'text/html; charset=utf-8' });

  function message(c: Context<AppEnv>, lang: string, status: 200 | 400 | 404 | 429 | 502 | 503, titleKey: string, textKey: string, vars = {}) {
    const t = deps.i18n.t(lang);
    return c.html(renderMessagePage(pageContext(lang), t(titleKey), t(textKey, vars)), status, { 'Cache-Control': NO_STORE });
  }

  function clientOf(c: Context<AppEnv>): string {
    const socket = c.env?.incoming?.socket.remoteAddress || 'unknown';
    const hops = deps.trustProxyHops ?? 0;
    if (hops === 0) return socket;
    // Each trusted proxy appends the address it saw; entries before theirs are the client's own claim.
    const forwarded = (c.req.header('x-forwarded-for') ?? '').split(',').map((a) => a.trim()).filter(Boolean);
    return forwarded.at(-hops) ?? forwarded[0] ?? socket;
  }

  function routes(app: App): void {
    app.get('/status', (c) => serve(c, 'status', (data, lang) => htmlOf(renderStatusPage(data, pageContext(lang)))));
    app.get('/status/history', (c) => serve(c, 'history', (data, lang) => htmlOf(renderHistoryPage(data, pageContext(lang)))));
    app.get('/status/incidents/:id', (c) => {
      const id = c.req.param('id');
      // Only uuids can be incidents; anything else would only fill the cache.
      if (!/^[0-9a-f-]{36}$/i.test(id)) return serve(c, 'incident|none', () => undefined);
      return serve(c, `incident|${id.toLowerCase()}`, (data, lang) => htmlOf(renderIncidentPage(data, pageContext(lang), id.toLowerCase())));
    });
    app.get('/status/feed.atom', (c) =>
      serve(c, 'atom', (data, lang) => ({ body: renderAtom(data, pageContext(lang)), contentType: 'application/atom+xml; charset=utf-8' })),
    );
    app.get('/status/feed.rss', (c) =>
      serve(c, 'rss', (data, lang) => ({ body: renderRss(data, pageContext(lang)), contentType: 'application/rss+xml; charset=utf-8' })),
    );
    for (const doc of Object.keys(JSON_DOCUMENTS) as JsonDocument[]) {
      app.get(`/api/v2/${doc}`, (c) =>
        serve(c, `json|${doc}`, (data, lang) => ({
          body: safeJson(JSON_DOCUMENTS[doc](data, { lang, timeZone: deps.timeZones[lang] ?? 'UTC', publicUrl: deps.publicUrl, t: deps.i18n.t(lang) })),
          contentType: 'application/json; charset=utf-8',
        })),
      );
    }

    const limit = bodyLimit({ maxSize: 16 * 1024 });
    app.post('/status/subscribe', limit, async (c) => {
      const { lang } = langOf(c);
      if (!deps.sendConfirmation) return message(c, lang, 503, 'public:subscribe.failedTitle', 'public:subscribe.unavailable');
      const form = await c.req.parseBody({ all: true });
      const text = (v: unknown) => (typeof v === 'string' ? v : '');
      const list = (v: unknown) => (Array.isArray(v) ? v : v === undefined ? [] : [v]).filter((x): x is string => typeof x === 'string');
      const subLang = text(form.lang) || lang;
      const result = await subscribe(
        { db: deps.db, now: deps.now, publicUrl: deps.publicUrl, languages: deps.languages, sendConfirmation: deps.sendConfirmation, limiter },
        {
          email: text(form.email),
          lang: subLang,
          timeZone: text(form.time_zone).trim() || (deps.timeZones[subLang] ?? 'UTC'),
          components: list(form.components),
          client: clientOf(c),
        },
      );
      if (result.ok) return message(c, lang, 200, 'public:subscribe.sentTitle', 'public:subscribe.sent');
      const status = result.reason === 'rate_limited' ? 429 : result.reason === 'send_failed' ? 502 : 400;
      return message(c, lang, status, 'public:subscribe.failedTitle', `public:subscribe.error.${result.reason}`);
    });
    app.get('/status/subscribe/confirm', async (c) => {
      const { lang } = langOf(c);
      const confirmed = await confirmSubscription(deps.db, c.req.query('token') ?? '', deps.now());
      if (!confirmed) return message(c, lang, 404, 'public:subscribe.failedTitle', 'public:subscribe.invalidToken');
      return message(c, lang, 200, 'public:subscribe.confirmedTitle', 'public:subscribe.confirmed');
    });
    app.get('/status/unsubscribe', (c) => {
      const { lang } = langOf(c);
      return c.html(renderUnsubscribeForm(pageContext(lang), c.req.query('token') ?? ''), 200, { 'Cache-Control': NO_STORE });
    });
    app.post('/status/unsubscribe', limit, async (c) => {
      const { lang } = langOf(c);
      // RFC 8058 one-click unsubscribe posts to the link itself, with the token in the query.
      const form = await c.req.parseBody();
      const token = (typeof form.token === 'string' ? form.token : '') || c.req.query('token') || '';
      if (!limiter.take(`client:${clientOf(c)}`, 30)) return message(c, lang, 429, 'public:subscribe.failedTitle', 'public:subscribe.error.rate_limited');
      const done = await unsubscribeByToken(deps.db, token, deps.now());
      if (!done) return message(c, lang, 404, 'public:subscribe.failedTitle', 'public:subscribe.invalidToken');
      return message(c, lang, 200, 'public:subscribe.unsubscribedTitle', 'public:subscribe.unsubscribed');
    });
  }

  return {
    routes,
    cache,
    async start() {
      watcher = await watchChanges(deps.db, () => cache.invalidate(), { pollMs: deps.pollMs ?? 2_000, onError: deps.onError });
    },
    async stop() {
      await watcher?.stop();
      watcher = undefined;
    },
  };
}
