/** @jsxRuntime automatic @jsxImportSource hono/jsx */
import { randomBytes } from 'node:crypto';
import type { Context } from 'hono';
import { deleteCookie, getSignedCookie, setSignedCookie } from 'hono/cookie';
import type { App, AppEnv } from '../../http.ts';
import {
  APP_PATH,
  openSession,
  preSessionToken,
  revokeAllSessions,
  revokeSession,
  safeEqual,
  SESSION_TTL_MS,
  spendSignInToken,
} from '../auth.ts';
import { pageCtx, PRE_SESSION_COOKIE, respond, SESSION_COOKIE, type PageCtx, type WebDeps, currentViewer } from '../context.ts';
import { field, safeNext, signedIn } from '../guard.tsx';
import { Csrf, Layout, MessagePage } from '../layout.tsx';

const PRE_SESSION_MAX_AGE = 30 * 60;

/**
 * Sign-in, sign-out and the account page:
 * - `GET /app/sign-in?token=` shows a button that spends the link (a chat client that fetches
 *   links to preview them must not use it up), and the administrator's token form;
 * - `POST /app/sign-in` spends a `web` link once; `POST /app/sign-in/admin` checks ADMIN_TOKEN;
 * - `POST /app/sign-out`, `POST /app/sign-out-everywhere`, `GET /app/account`.
 * The sign-in forms carry a double-submit token (a signed cookie and its HMAC in the form), so
 * another site cannot sign a browser in as someone else.
 */
export function registerAuthRoutes(app: App, deps: WebDeps): void {
  const { runtime } = deps;
  const now = () => runtime.app.clock.now();
  const cookieOptions = (maxAge: number) => ({ httpOnly: true, sameSite: 'Lax' as const, secure: deps.secure, path: APP_PATH, maxAge });

  const startSession = async (c: Context<AppEnv>, p: PageCtx, who: Parameters<typeof openSession>[1], next: string | undefined) => {
    const session = await openSession(runtime.app.db, who, now());
    await setSignedCookie(c, SESSION_COOKIE, session.id, deps.key!, cookieOptions(SESSION_TTL_MS / 1000));
    deleteCookie(c, PRE_SESSION_COOKIE, { path: APP_PATH, secure: deps.secure });
    return c.redirect(safeNext(next) ?? p.href('/'), 303);
  };

  const preSessionValid = async (c: Context<AppEnv>, given: string) => {
    const nonce = await getSignedCookie(c, deps.key!, PRE_SESSION_COOKIE);
    return typeof nonce === 'string' && safeEqual(given, preSessionToken(deps.key!, nonce));
  };

  const notConfigured = (c: Context<AppEnv>, p: PageCtx) =>
    respond(c, <MessagePage p={p} title={p.t('web:signIn.title')} message={p.t('web:signIn.notConfigured')} />, 503);

  app.get(`${APP_PATH}/sign-in`, async (c) => {
    const p = pageCtx(c, deps, await currentViewer(c, deps));
    if (!deps.key) return notConfigured(c, p);
    const nonce = randomBytes(16).toString('base64url');
    await setSignedCookie(c, PRE_SESSION_COOKIE, nonce, deps.key, cookieOptions(PRE_SESSION_MAX_AGE));
    const next = safeNext(c.req.query('next'));
    return respond(c, <SignInPage p={p} token={c.req.query('token') ?? ''} pre={preSessionToken(deps.key, nonce)} admin={Boolean(runtime.config.adminToken)} next={next} />);
  });

  const refuse = (c: Context<AppEnv>, p: PageCtx, messageKey: string, status: 400 | 403) =>
    respond(c, <MessagePage p={p} title={p.t('web:signIn.refusedTitle')} message={p.t(messageKey)} />, status);

  app.post(`${APP_PATH}/sign-in`, async (c) => {
    const p = pageCtx(c, deps, undefined);
    if (!deps.key) return notConfigured(c, p);
    const form = (await c.req.parseBody()) as Record<string, string | File>;
    if (!(await preSessionValid(c, field(form, '_pre')))) return refuse(c, p, 'web:signIn.formExpired', 403);
    const user = await spendSignInToken(runtime.app.db, field(form, 'token'), now());
    if (!user) return refuse(c, p, 'web:signIn.linkInvalid', 400);
    return startSession(c, p, { ...user, lang: runtime.config.locales.includes(user.lang) ? user.lang : runtime.config.locales[0]! }, field(form, 'next'));
  });

  app.post(`${APP_PATH}/sign-in/admin`, async (c) => {
    const p = pageCtx(c, deps, undefined);
    if (!deps.key) return notConfigured(c, p);
    const form = (await c.req.parseBody()) as Record<string, string | File>;
    if (!(await preSessionValid(c, field(form, '_pre')))) return refuse(c, p, 'web:signIn.formExpired', 403);
    const expected = runtime.config.adminToken;
    if (!expected || !safeEqual(field(form, 'admin_token'), expected)) return refuse(c, p, 'web:signIn.adminRefused', 403);
    return startSession(c, p, { admin: true, lang: p.lang }, field(form, 'next'));
  });

  app.post(
    `${APP_PATH}/sign-out`,
    signedIn(deps, async (c, p) => {
      await revokeSession(runtime.app.db, p.viewer.session.id, now());
      deleteCookie(c, SESSION_COOKIE, { path: APP_PATH, secure: deps.secure });
      return c.redirect(p.href('/sign-in', { done: 'signedOut' }), 303);
    }),
  );

  app.post(
    `${APP_PATH}/sign-out-everywhere`,
    signedIn(deps, async (c, p) => {
      await revokeAllSessions(runtime.app.db, p.viewer.session, now());
      deleteCookie(c, SESSION_COOKIE, { path: APP_PATH, secure: deps.secure });
      return c.redirect(p.href('/sign-in', { done: 'signedOutEverywhere' }), 303);
    }),
  );

  app.get(
    `${APP_PATH}/account`,
    signedIn(deps, async (c, p) => {
      const { session } = p.viewer;
      const t = p.t;
      return respond(
        c,
        <Layout p={p} title={t('web:account.title')} section="account">
          <h1>{t('web:account.title')}</h1>
          <dl class="facts card">
            <dt>{t('web:account.name')}</dt>
            <dd>{session.userName}</dd>
            <dt>{t('web:account.kind')}</dt>
            <dd>{session.isAdmin ? t('web:account.admin') : `${session.platform} · ${session.userId}`}</dd>
            <dt>{t('web:account.zone')}</dt>
            <dd>{p.zone}</dd>
            <dt>{t('web:account.expires')}</dt>
            <dd>{runtime.i18n.formatDateTime(session.expiresAt, p.lang, p.zone, 'fullDateTime')}</dd>
          </dl>
          <form method="post" action={p.href('/sign-out-everywhere')} class="card">
            <Csrf p={p} />
            <p>{t('web:account.everywhereHelp')}</p>
            <button type="submit" class="danger">
              {t('web:account.signOutEverywhere')}
            </button>
          </form>
        </Layout>,
      );
    }),
  );
}

function SignInPage(props: { p: PageCtx; token: string; pre: string; admin: boolean; next: string | undefined }) {
  const { p } = props;
  const t = p.t;
  const done = new URL(`http://x${p.here}`).searchParams.get('done');
  return (
    <Layout p={p} title={t('web:signIn.title')} section="none">
      <h1>{t('web:signIn.title')}</h1>
      {done === 'signedOut' || done === 'signedOutEverywhere' ? <p class="notice" role="status">{t(`web:signIn.${done}`)}</p> : null}
      {props.token ? (
        <form method="post" action={p.href('/sign-in')} class="card">
          <input type="hidden" name="token" value={props.token} />
          <input type="hidden" name="_pre" value={props.pre} />
          {props.next ? <input type="hidden" name="next" value={props.next} /> : null}
          <p>{t('web:signIn.linkHelp')}</p>
          <button type="submit">{t('web:signIn.continue')}</button>
        </form>
      ) : (
        <p class="card">{t('web:signIn.howTo')}</p>
      )}
      {props.admin ? (
        <form method="post" action={p.href('/sign-in/admin')} class="card">
          <input type="hidden" name="_pre" value={props.pre} />
          {props.next ? <input type="hidden" name="next" value={props.next} /> : null}
          <h2>{t('web:signIn.adminTitle')}</h2>
          <div class="field">
            <label for="admin_token">{t('web:signIn.adminToken')}</label>
            <input type="password" id="admin_token" name="admin_token" autocomplete="current-password" required />
          </div>
          <p>
            <button type="submit" class="secondary">
              {t('web:signIn.adminSubmit')}
            </button>
          </p>
        </form>
      ) : null}
    </Layout>
  );
}
