/** @jsxRuntime automatic @jsxImportSource hono/jsx */
import type { Child } from 'hono/jsx';
import type { PageCtx } from './context.ts';
import { WEB_STYLE } from './style.ts';

/** Which top-level section a page belongs to (marked in the navigation). */
export type Section = 'incidents' | 'metrics' | 'subscribers' | 'maintenance' | 'account' | 'none';

/** A hidden CSRF field for a form of the signed-in viewer. */
export function Csrf(props: { p: PageCtx }) {
  return <input type="hidden" name="_csrf" value={props.p.viewer?.csrf ?? ''} />;
}

/** A form that only POSTs to `action` with the CSRF field: one button, its label the children. */
export function PostButton(props: { p: PageCtx; action: string; class?: string; label?: string; children?: Child }) {
  return (
    <form method="post" action={props.action}>
      <Csrf p={props.p} />
      <button type="submit" class={props.class} aria-label={props.label}>
        {props.children}
      </button>
    </form>
  );
}

/** One filter of a search form: a labelled select, `value` preselected, led by an option "" saying `any` when given. */
export function FilterSelect(props: { id: string; name: string; label: string; any?: string; options: { value: string; text: string }[]; value: string | undefined }) {
  return (
    <div>
      <label for={props.id}>{props.label}</label>
      <select id={props.id} name={props.name}>
        {props.any !== undefined ? <option value="">{props.any}</option> : null}
        {props.options.map((o) => (
          <option value={o.value} selected={props.value === o.value}>
            {o.text}
          </option>
        ))}
      </select>
    </div>
  );
}

/** The "private" tag after the title of a private incident or maintenance (a space, then the tag); nothing for a public one. */
export function PrivateTag(props: { p: PageCtx; visibility: string }) {
  return props.visibility === 'private' ? (
    <>
      {' '}
      <span class="tag private">{props.p.t('web:incident.private')}</span>
    </>
  ) : null;
}

/** The page around every view: the status page's look, the navigation, who is signed in, the language switcher. */
export function Layout(props: { p: PageCtx; title: string; section: Section; children?: Child; scripts?: string[]; path?: string }) {
  const { p } = props;
  const t = p.t;
  const sections: { id: Section; path: string }[] = [
    { id: 'incidents', path: '/' },
    { id: 'metrics', path: '/metrics' },
    { id: 'subscribers', path: '/subscribers' },
    { id: 'maintenance', path: '/maintenance' },
  ];
  const here = props.path ?? p.here;
  return (
    <html lang={p.lang}>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="robots" content="noindex, nofollow" />
        <meta name="referrer" content="no-referrer" />
        <title>{`${props.title} · ${t('web:app.name')}`}</title>
        <style dangerouslySetInnerHTML={{ __html: WEB_STYLE }} />
        {(props.scripts ?? []).map((src) => (
          <script src={src} defer />
        ))}
      </head>
      <body>
        <a class="skip" href="#main">
          {t('web:app.skip')}
        </a>
        <header class="site">
          <p class="brand">
            <a href={p.href('/')}>{t('web:app.name')}</a>
          </p>
          {p.viewer ? (
            <nav aria-label={t('web:app.navigation')}>
              <ul>
                {sections.filter((s) => s.id !== 'subscribers' || p.viewer?.isAdmin).map((s) => (
                  <li>
                    <a href={p.href(s.path)} aria-current={s.id === props.section ? 'page' : undefined}>
                      {t(`web:nav.${s.id}`)}
                    </a>
                  </li>
                ))}
              </ul>
            </nav>
          ) : null}
          <nav aria-label={t('web:app.languages')}>
            <ul>
              {p.deps.runtime.config.locales.map((l) => (
                <li>
                  <a href={`/app${here}${here.includes('?') ? '&' : '?'}lang=${l}`} hreflang={l} lang={l} aria-current={l === p.lang ? 'true' : undefined}>
                    {t(`web:languages.${l}`, { defaultValue: l })}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
          {p.viewer ? (
            <div class="who">
              <span>{t(p.viewer.isAdmin ? 'web:account.signedInAdmin' : 'web:account.signedInAs', { name: p.viewer.session.userName })}</span>
              <a href={p.href('/account')} aria-current={props.section === 'account' ? 'page' : undefined}>
                {t('web:nav.account')}
              </a>
              <PostButton p={p} action={p.href('/sign-out')} class="link">
                {t('web:account.signOut')}
              </PostButton>
            </div>
          ) : null}
        </header>
        <main id="main">{props.children}</main>
        <footer>
          <p>{t('web:app.footer', { zone: p.zone })}</p>
        </footer>
      </body>
    </html>
  );
}

/** A short page saying why there is nothing to show (403, 404). */
export function MessagePage(props: { p: PageCtx; title: string; message: string; section?: Section }) {
  return (
    <Layout p={props.p} title={props.title} section={props.section ?? 'none'}>
      <h1>{props.title}</h1>
      <p>{props.message}</p>
      <p>
        <a href={props.p.href('/')}>{props.p.t('web:app.backHome')}</a>
      </p>
    </Layout>
  );
}
