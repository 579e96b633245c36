/** @jsxRuntime automatic @jsxImportSource hono/jsx */
import type { Context } from 'hono';
import { DomainError } from '../core/errors.ts';
import type { AppEnv } from '../http.ts';
import { checkCsrf } from './auth.ts';
import { currentViewer, pageCtx, respond, type PageCtx, type Viewer, type WebDeps } from './context.ts';
import { MessagePage } from './layout.tsx';

/** The page context of a signed-in viewer. */
export type SignedPage = PageCtx & { viewer: Viewer };

/** A route handler that runs only for a signed-in viewer (and, for a POST, a valid CSRF token). */
export type SignedHandler = (c: Context<AppEnv>, p: SignedPage, form: Record<string, string | File>) => Promise<Response>;

/**
 * Wraps a handler: no live session → a GET goes to the sign-in page, a POST is refused (403);
 * a POST whose `_csrf` field is not the session's token is refused (403) before anything runs.
 * A DomainError from a use case becomes its localized message with a fitting status.
 */
export function signedIn(deps: WebDeps, handler: SignedHandler) {
  return async (c: Context<AppEnv>): Promise<Response> => {
    const viewer = await currentViewer(c, deps);
    const p = pageCtx(c, deps, viewer);
    if (!viewer) {
      if (c.req.method === 'GET') {
        const url = new URL(c.req.url);
        const next = `${url.pathname}${url.search}`;
        return c.redirect(p.href('/sign-in', { next: url.pathname === '/app/' && !url.search ? undefined : next }), 303);
      }
      return respond(c, <MessagePage p={p} title={p.t('web:errors.forbiddenTitle')} message={p.t('web:errors.signInFirst')} />, 403);
    }
    let form: Record<string, string | File> = {};
    if (c.req.method === 'POST') {
      form = (await c.req.parseBody().catch(() => ({}))) as Record<string, string | File>;
      if (!checkCsrf(viewer.session, form._csrf ?? c.req.header('x-csrf-token'))) {
        return respond(c, <MessagePage p={p} title={p.t('web:errors.forbiddenTitle')} message={p.t('web:errors.csrf')} />, 403);
      }
    }
    try {
      return await handler(c, p as SignedPage, form);
    } catch (e) {
      if (!(e instanceof DomainError)) throw e;
      const status = e.code === 'incident_not_found' || e.code === 'update_not_found' ? 404 : e.code === 'not_responder' || e.code === 'approval_required' ? 403 : 409;
      const message = p.t(`bot:errors.${e.code}`, { ...(e.params as Record<string, unknown>), defaultValue: e.code });
      return respond(c, <MessagePage p={p} title={p.t('web:errors.refusedTitle')} message={message} />, status);
    }
  };
}

/** The 404 of an incident the viewer may not see: the same page as one that does not exist, so nothing leaks. */
export function notFound(c: Context<AppEnv>, p: PageCtx, ref: string): Promise<Response> {
  return respond(c, <MessagePage p={p} title={p.t('web:errors.notFoundTitle')} message={p.t('web:errors.incidentNotFound', { ref })} />, 404);
}

/** A form field as text ('' when absent or a file). */
export function field(form: Record<string, string | File>, name: string): string {
  const value = form[name];
  return typeof value === 'string' ? value : '';
}

/**
 * Where to go after signing in: a path inside the app, never another site (`//evil`,
 * `/app/../`, backslashes); undefined otherwise.
 */
export function safeNext(next: string | undefined): string | undefined {
  if (!next || next.length > 500) return undefined;
  if (!/^\/app\/[\w\-.~!$&'()*+,;=:@%/?]*$/.test(next) || next.includes('//') || next.includes('/..') || next.includes('\\')) return undefined;
  return next;
}
