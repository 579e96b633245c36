import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { App, AppEnv } from '../http.ts';
import type { Db } from '../db/client.ts';
import type { I18n } from '../i18n.ts';
import { type Rendered, RenderCache, watchChanges } from './cache.ts';
import { FAVICON } from './favicon.ts';
import { loadStatusData, type StatusData } from './data.ts';
import { renderAtom, renderRss } from './feeds.ts';
import { type PageContext, renderHistoryPage, renderIncidentPage, renderMaintenancePage, renderMessagePage, renderStatusPage, renderUnsubscribeForm } from './html.ts';
import { type ComponentGroup, JSON_DOCUMENTS, type JsonDocument, safeJson } from './statuspage-json.ts';
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
  /** Component groups from COMPONENTS_FILE (`group:`), shown on the page and in the JSON. */
  groups?: readonly ComponentGroup[];
  onError?: (e: unknown) => void;
}

export interface StatusPage {
  routes(app: App): void;
  /** Serves cached renders before the router; true when it answered. Optional: the routes answer the same. */
  fastPath(req: IncomingMessage, res: ServerResponse): boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
  cache: RenderCache;
}

// Short enough that a CDN in front shows an update within about a second; ETag makes revalidation cheap.
const CACHE_CONTROL = 'public, max-age=1';
const NO_STORE = 'no-store';
const CORS_HEADERS = { 'Access-Control-Allow-Origin': '*' } as const;
const FAVICON_HEADERS = { 'Content-Type': 'image/x-icon', 'Content-Length': String(FAVICON.length), 'Cache-Control': 'public, max-age=86400' };

/** A document rendered once per change: its cache name, whether other origins may read it, and its renderer. */
interface CachedDocument {
  name: string;
  cors: boolean;
  render: (data: StatusData, lang: string) => { body: string; contentType: string } | undefined;
}

type Encoding = 'br' | 'gzip' | 'identity';
const encodings = new Map<string, Encoding>();

/** The best encoding the client accepts (RFC 9110 Accept-Encoding): brotli, gzip, else none; remembered per header value. */
export function encodingFor(header: string | undefined): Encoding {
  if (!header) return 'identity';
  let found = encodings.get(header);
  if (found) return found;
  const q = new Map<string, number>();
  for (const part of header.toLowerCase().split(',')) {
    const [name, ...params] = part.trim().split(';');
    const weight = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    q.set((name ?? '').trim(), weight ? Number(weight.slice(2)) : 1);
  }
  const accepts = (name: string) => (q.get(name) ?? q.get('*') ?? 0) > 0;
  found = accepts('br') ? 'br' : accepts('gzip') || (q.get('x-gzip') ?? 0) > 0 ? 'gzip' : 'identity';
  if (encodings.size >= 256) encodings.clear();
  encodings.set(header, found);
  return found;
}

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
    return langFor(c.req.query('lang'), c.req.header('accept-language'));
  }

  function pageContext(lang: string): PageContext {
    return {
      lang,
      zone: deps.timeZones[lang] ?? 'UTC',
      languages: deps.languages,
      publicUrl: deps.publicUrl,
      i18n: deps.i18n,
      subscriptions: deps.sendConfirmation !== undefined,
      groups: deps.groups ?? [],
    };
  }

  /** The reader's language: `?lang=`, else Accept-Language (remembered per header value: the same few values repeat). */
  const negotiatedLangs = new Map<string, { lang: string; negotiated: boolean }>();
  function langFor(asked: string | null | undefined, acceptLanguage: string | undefined): { lang: string; negotiated: boolean } {
    if (asked && deps.languages.includes(asked)) return { lang: asked, negotiated: false };
    const header = acceptLanguage ?? '';
    let found = negotiatedLangs.get(header);
    if (!found) {
      found = { lang: deps.languages[0]!, negotiated: true };
      for (const tag of acceptedLanguages(header)) {
        const lang = deps.languages.find((l) => l.toLowerCase() === tag) ?? deps.languages.find((l) => l.toLowerCase() === tag.split('-')[0]);
        if (lang) {
          found = { lang, negotiated: true };
          break;
        }
      }
      if (negotiatedLangs.size >= 256) negotiatedLangs.clear();
      negotiatedLangs.set(header, found);
    }
    return found;
  }

  /** The cached document a path names, or undefined when the path is not one (only uuids can be incidents and maintenances). */
  function documentAt(path: string): CachedDocument | undefined {
    const fixed = DOCUMENTS.get(path);
    if (fixed) return fixed;
    if (path.startsWith('/status/incidents/')) {
      const id = path.slice('/status/incidents/'.length).toLowerCase();
      if (!/^[0-9a-f-]{36}$/.test(id)) return undefined;
      return { name: `incident|${id}`, cors: false, render: (data, lang) => htmlOf(renderIncidentPage(data, pageContext(lang), id)) };
    }
    if (path.startsWith('/status/maintenance/')) {
      const id = path.slice('/status/maintenance/'.length).toLowerCase();
      if (!/^[0-9a-f-]{36}$/.test(id)) return undefined;
      return { name: `maintenance|${id}`, cors: false, render: (data, lang) => htmlOf(renderMaintenancePage(data, pageContext(lang), id)) };
    }
    return undefined;
  }

  const DOCUMENTS = new Map<string, CachedDocument>([
    ['/status', { name: 'status', cors: false, render: (data, lang) => htmlOf(renderStatusPage(data, pageContext(lang))) }],
    ['/status/history', { name: 'history', cors: false, render: (data, lang) => htmlOf(renderHistoryPage(data, pageContext(lang))) }],
    ['/status/feed.atom', { name: 'atom', cors: false, render: (data, lang) => ({ body: renderAtom(data, pageContext(lang)), contentType: 'application/atom+xml; charset=utf-8' }) }],
    ['/status/feed.rss', { name: 'rss', cors: false, render: (data, lang) => ({ body: renderRss(data, pageContext(lang)), contentType: 'application/rss+xml; charset=utf-8' }) }],
  ]);
  for (const doc of Object.keys(JSON_DOCUMENTS) as JsonDocument[]) {
    const entry: CachedDocument = {
      name: `json|${doc}`,
      cors: true,
      render: (data, lang) => ({
        body: safeJson(JSON_DOCUMENTS[doc](data, { lang, timeZone: deps.timeZones[lang] ?? 'UTC', publicUrl: deps.publicUrl, t: deps.i18n.t(lang), i18n: deps.i18n, groups: deps.groups ?? [] })),
        contentType: 'application/json; charset=utf-8',
      }),
    };
    // Also under /status: `page.url` + `/api/v2/…` is how consumers find the API.
    DOCUMENTS.set(`/api/v2/${doc}`, entry);
    DOCUMENTS.set(`/status/api/v2/${doc}`, entry);
  }

  /**
   * The response for a cached render: status, headers and the body in the client's encoding.
   * Headers are built once per render, language negotiation and encoding (a render is
   * replaced, never changed, so they are kept with it).
   */
  const headerSets = new WeakMap<Rendered, { headers: Record<string, string>; flat: string[] }[]>();
  const ENCODING_INDEX: Record<Encoding, number> = { identity: 0, gzip: 1, br: 2 };
  function answer(rendered: Rendered, doc: CachedDocument, lang: string, negotiated: boolean, encoding: Encoding, inm: string | undefined, ims: string | undefined) {
    // A render is under one language: negotiation and encoding are all that vary its headers.
    const index = ENCODING_INDEX[encoding] + (negotiated ? 3 : 0);
    let sets = headerSets.get(rendered);
    if (!sets) headerSets.set(rendered, (sets = []));
    let set = sets[index];
    if (!set) {
      // A strong ETag per representation (RFC 9110 §8.8.3): the compressed bytes differ.
      const etag = encoding === 'identity' ? rendered.etag : `${rendered.etag.slice(0, -1)}-${encoding}"`;
      const headers: Record<string, string> = {
        'Content-Type': rendered.contentType,
        'Content-Length': String(rendered.encoded[encoding].length),
        ...(encoding === 'identity' ? {} : { 'Content-Encoding': encoding }),
        'Cache-Control': CACHE_CONTROL,
        'Content-Language': lang,
        'X-Content-Type-Options': 'nosniff',
        Vary: negotiated ? 'Accept-Encoding, Accept-Language' : 'Accept-Encoding',
        ETag: etag,
        'Last-Modified': rendered.lastModified.toUTCString(),
        ...(doc.cors ? CORS_HEADERS : {}),
      };
      // The fast path hands Node a flat [name, value, …] list: no object walk per response.
      sets[index] = set = { headers, flat: Object.entries(headers).flat() };
    }
    const headers = set.headers;
    if (inm !== undefined || ims !== undefined) {
      const base = rendered.etag.slice(1, -1);
      const notModified = inm
        ? inm.split(',').some((tag) => tag.trim().replace(/^W\//, '').replace(/^"|"$/g, '').replace(/-(gzip|br)$/, '') === base)
        : ims !== undefined && Math.floor(rendered.lastModified.getTime() / 1000) <= Math.floor(Date.parse(ims) / 1000);
      if (notModified) {
        const { 'Content-Length': _length, 'Content-Type': _type, 'Content-Encoding': _encoding, ...rest } = headers;
        return { status: 304 as const, headers: rest, flat: undefined, body: null };
      }
    }
    return { status: 200 as const, headers, flat: set.flat, body: rendered.encoded[encoding] };
  }

  async function serve(c: Context<AppEnv>, doc: CachedDocument): Promise<Response> {
    const { lang, negotiated } = langFor(c.req.query('lang'), c.req.header('accept-language'));
    const rendered = await cache.get(`${doc.name}|${lang}`, (data) => doc.render(data, lang));
    if (!rendered) {
      const t = deps.i18n.t(lang);
      const json = doc.name.startsWith('json');
      const notFound = doc.name.startsWith('maintenance|') ? 'public:maintenance.notFound' : 'public:incident.notFound';
      const body = json ? safeJson({ error: 'not_found' }) : renderMessagePage(pageContext(lang), t('public:incident.notFoundTitle'), t(notFound));
      const headers: Record<string, string> = {
        'Cache-Control': CACHE_CONTROL,
        'Content-Language': lang,
        'X-Content-Type-Options': 'nosniff',
        'Content-Type': json ? 'application/json; charset=utf-8' : 'text/html; charset=utf-8',
        ...(doc.cors ? CORS_HEADERS : {}),
      };
      if (negotiated) headers.Vary = 'Accept-Language';
      return c.body(body, 404, headers);
    }
    const out = answer(rendered, doc, lang, negotiated, encodingFor(c.req.header('accept-encoding')), c.req.header('if-none-match'), c.req.header('if-modified-since'));
    return new Response(c.req.method === 'HEAD' || out.body === null ? null : new Uint8Array(out.body.buffer, out.body.byteOffset, out.body.byteLength), {
      status: out.status,
      headers: out.headers,
    });
  }

  /**
   * Answers a GET or HEAD of a cached render straight from the Node request, before the
   * router: no Request/Response objects, headers and body in one write. Anything else
   * (a first render, a 404, another method) returns false and goes through hono.
   */
  function fastPath(req: IncomingMessage, res: ServerResponse): boolean {
    const method = req.method;
    if (method !== 'GET' && method !== 'HEAD') return false;
    const url = req.url ?? '';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    if (path === '/favicon.ico') {
      res.writeHead(200, FAVICON_HEADERS);
      res.end(method === 'HEAD' ? undefined : FAVICON);
      return true;
    }
    const doc = DOCUMENTS.get(path) ?? (path.startsWith('/status/incidents/') || path.startsWith('/status/maintenance/') ? documentAt(path) : undefined);
    if (!doc) return false;
    const { lang, negotiated } = langFor(q === -1 ? undefined : new URLSearchParams(url.slice(q + 1)).get('lang'), req.headers['accept-language']);
    const rendered = cache.peek(`${doc.name}|${lang}`);
    if (!rendered) return false;
    const out = answer(rendered, doc, lang, negotiated, encodingFor(req.headers['accept-encoding']), req.headers['if-none-match'], req.headers['if-modified-since']);
    res.writeHead(out.status, out.flat ?? out.headers);
    res.end(method === 'HEAD' || out.body === null ? undefined : out.body);
    return true;
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
    // Atlassian's status widget and other browser consumers read the JSON from other origins (CORS, no credentials).
    for (const prefix of ['/api/v2/*', '/status/api/v2/*']) {
      app.use(prefix, async (c, next) => {
        await next();
        c.res.headers.set('Access-Control-Allow-Origin', '*');
      });
      app.options(prefix, (c) =>
        c.body(null, 204, {
          ...CORS_HEADERS,
          'Access-Control-Allow-Methods': 'GET, HEAD, OPTIONS',
          'Access-Control-Allow-Headers': c.req.header('access-control-request-headers') ?? '*',
          'Access-Control-Max-Age': '86400',
        }),
      );
    }
    for (const [path, doc] of DOCUMENTS) app.get(path, (c) => serve(c, doc));
    app.get('/status/incidents/:id', (c) => serve(c, documentAt(c.req.path) ?? { name: 'incident|none', cors: false, render: () => undefined }));
    app.get('/status/maintenance/:id', (c) => serve(c, documentAt(c.req.path) ?? { name: 'maintenance|none', cors: false, render: () => undefined }));
    // Anything else under /status/api/v2/ (404s) is what /api/v2/ answers.
    app.get('/status/api/v2/*', (c) => {
      const url = new URL(c.req.url);
      url.pathname = url.pathname.slice('/status'.length);
      return app.fetch(new Request(url, c.req.raw), c.env);
    });
    app.get('/favicon.ico', (c) => new Response(c.req.method === 'HEAD' ? null : new Uint8Array(FAVICON), { headers: FAVICON_HEADERS }));

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
    fastPath,
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
