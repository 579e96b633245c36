import type { Context } from 'hono';
import { getSignedCookie } from 'hono/cookie';
import type { TFunction } from 'i18next';
import type { CommandMeta } from '../app/command-runner.ts';
import type { Actor } from '../core/model.ts';
import type { AppEnv } from '../http.ts';
import type { Runtime } from '../runtime.ts';
import { APP_PATH, csrfToken, loadSession, sessionActor, type WebSession } from './auth.ts';

/** The session cookie's name. */
export const SESSION_COOKIE = 'tsuiki_session';
/** The cookie of the sign-in forms' double-submit token. */
export const PRE_SESSION_COOKIE = 'tsuiki_pre';

/** What every route of the app is built from. */
export interface WebDeps {
  runtime: Runtime;
  /** Signs cookies; undefined when no secret is configured (the app then says how to set one). */
  key: Buffer | undefined;
  /** PUBLIC_URL is https: cookies get `Secure`. */
  secure: boolean;
}

/** The person signed in, as the use cases see them. */
export interface Viewer {
  session: WebSession;
  actor: Actor;
  isAdmin: boolean;
  /**
   * The command meta of their writes. An administrator acts as a responder of every incident
   * (`inIncidentChannel`), which is how the use cases' own rules admit someone to a private one.
   */
  meta: CommandMeta;
  csrf: string;
}

/** One request's words, zone and links. */
export interface PageCtx {
  lang: string;
  zone: string;
  t: TFunction;
  /** The `?lang=` override, kept on every link the page makes. */
  langOverride: string | undefined;
  href(path: string, params?: Record<string, string | undefined>): string;
  /** This page's path under /app with its query, less `lang`: what the language switcher links to. */
  here: string;
  viewer: Viewer | undefined;
  deps: WebDeps;
}

export function viewerOf(session: WebSession): Viewer {
  const actor = sessionActor(session);
  return { session, actor, isAdmin: session.isAdmin, meta: { actor, inIncidentChannel: session.isAdmin }, csrf: csrfToken(session) };
}

/** The signed-in viewer of this request, if the session cookie names a live session. */
export async function currentViewer(c: Context<AppEnv>, deps: WebDeps): Promise<Viewer | undefined> {
  if (!deps.key) return undefined;
  const id = await getSignedCookie(c, deps.key, SESSION_COOKIE);
  if (!id) return undefined;
  const session = await loadSession(deps.runtime.app.db, id, deps.runtime.app.clock.now());
  return session ? viewerOf(session) : undefined;
}

/** The page context: the session's language unless `?lang=` names another configured one; times in the user's zone. */
export function pageCtx(c: Context<AppEnv>, deps: WebDeps, viewer: Viewer | undefined): PageCtx {
  const { config, i18n } = deps.runtime;
  const asked = c.req.query('lang');
  const langOverride = asked && config.locales.includes(asked) ? asked : undefined;
  const lang = langOverride ?? (viewer && config.locales.includes(viewer.session.lang) ? viewer.session.lang : i18n.pick(c.req.header('accept-language')?.split(',')[0]));
  const zone = viewer?.session.timeZone ?? config.timeZones[lang] ?? config.teamTimeZone;
  const href = (path: string, params: Record<string, string | undefined> = {}) => {
    const query = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') query.set(k, v);
    if (langOverride && !query.has('lang')) query.set('lang', langOverride);
    const qs = query.toString();
    return `${APP_PATH}${path}${qs ? `?${qs}` : ''}`;
  };
  const url = new URL(c.req.url);
  url.searchParams.delete('lang');
  const here = `${url.pathname.slice(APP_PATH.length) || '/'}${url.search}`;
  return { lang, zone, t: i18n.t(lang), langOverride, href, here, viewer, deps };
}

/** Headers of every app page: private, never cached or indexed, scripts only from tsuiki itself. */
export const PAGE_HEADERS: Record<string, string> = {
  'Cache-Control': 'private, no-store',
  'Referrer-Policy': 'no-referrer',
  'X-Robots-Tag': 'noindex, nofollow',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
};

/** Anything JSX renders to. */
type Renderable = { toString(): string | Promise<string> };

/** A page as the response: HTML5 doctype, the app's headers. */
export async function respond(c: Context<AppEnv>, node: Renderable, status: 200 | 400 | 403 | 404 | 409 | 503 = 200): Promise<Response> {
  const body = `<!doctype html>\n${await node.toString()}`;
  return c.body(body, status, { ...PAGE_HEADERS, 'Content-Type': 'text/html; charset=utf-8' });
}
