/** @jsxRuntime automatic @jsxImportSource hono/jsx */
import { and, asc, eq, ilike, type SQL } from 'drizzle-orm';
import { importSubscribers, type ImportResult } from '../../app/import-subscribers.ts';
import { unsubscribeByToken } from '../../app/unsubscribe.ts';
import * as t from '../../db/schema.ts';
import type { App } from '../../http.ts';
import { respond, type WebDeps } from '../context.ts';
import { field, signedIn, type SignedPage } from '../guard.tsx';
import { Csrf, FilterSelect, Layout, MessagePage, PostButton } from '../layout.tsx';

/** Most rows one page lists; the filter narrows the rest. */
const PAGE_SIZE = 500;
/** Largest CSV the form takes (the CLI takes any size). */
const MAX_CSV_BYTES = 5 * 1024 * 1024;

/**
 * Subscribers, for administrators only: chat gives nobody rights over customers' addresses,
 * so a chat user's session does not either.
 * - `GET /app/subscribers` lists and filters (type, language, address, active or removed);
 * - `POST /app/subscribers/import` runs the CLI's import use case on an uploaded or pasted CSV;
 * - `POST /app/subscribers/:id/remove` unsubscribes, as the one-click link does (queued deliveries skipped).
 */
export function registerSubscriberRoutes(app: App, deps: WebDeps): void {
  const { runtime } = deps;
  const adminOnly = (p: SignedPage) => (p.viewer.isAdmin ? undefined : <MessagePage p={p} title={p.t('web:errors.forbiddenTitle')} message={p.t('web:subscribers.adminOnly')} section="subscribers" />);

  const list = async (c: Parameters<Parameters<typeof signedIn>[1]>[0], p: SignedPage, result?: ImportResult) => {
    const kind = c.req.query('kind') ?? '';
    const lang = c.req.query('sublang') ?? '';
    const q = (c.req.query('q') ?? '').trim();
    const state = c.req.query('state') === 'removed' ? 'removed' : 'active';
    const conditions: (SQL | undefined)[] = [eq(t.subscriber.confirmed, state === 'active')];
    if (['email', 'webhook', 'slack', 'teams'].includes(kind)) conditions.push(eq(t.subscriber.kind, kind));
    if (runtime.config.locales.includes(lang)) conditions.push(eq(t.subscriber.lang, lang));
    if (q) conditions.push(ilike(t.subscriber.address, `%${q.replace(/[\\%_]/g, (m) => `\\${m}`)}%`));
    const rows = await runtime.app.db
      .select()
      .from(t.subscriber)
      .where(and(...conditions))
      .orderBy(asc(t.subscriber.kind), asc(t.subscriber.address))
      .limit(PAGE_SIZE);
    return respond(c, <SubscribersPage p={p} rows={rows} filter={{ kind, lang, q, state }} result={result} done={c.req.query('done')} />);
  };

  app.get(
    '/app/subscribers',
    signedIn(deps, async (c, p) => {
      const refused = adminOnly(p);
      return refused ? respond(c, refused, 403) : list(c, p);
    }),
  );
  app.post(
    '/app/subscribers/import',
    signedIn(deps, async (c, p, form) => {
      const refused = adminOnly(p);
      if (refused) return respond(c, refused, 403);
      const file = form.file;
      const uploaded = typeof file === 'object' && file.size > 0 ? file : undefined;
      if ((uploaded?.size ?? 0) > MAX_CSV_BYTES) return respond(c, <MessagePage p={p} title={p.t('web:errors.refusedTitle')} message={p.t('web:subscribers.tooLarge')} />, 400);
      const csv = uploaded ? await uploaded.text() : field(form, 'csv');
      const result = await importSubscribers(runtime.app.db, csv, { locales: runtime.config.locales, timeZones: runtime.config.timeZones, now: runtime.app.clock.now() });
      return list(c, p, result);
    }),
  );
  app.post(
    '/app/subscribers/:id/remove',
    signedIn(deps, async (c, p) => {
      const refused = adminOnly(p);
      if (refused) return respond(c, refused, 403);
      const id = c.req.param('id') ?? '';
      const [row] = /^[0-9a-f-]{36}$/.test(id) ? await runtime.app.db.select({ token: t.subscriber.unsubscribeToken }).from(t.subscriber).where(eq(t.subscriber.id, id)) : [];
      if (row) await unsubscribeByToken(runtime.app.db, row.token, runtime.app.clock.now());
      return c.redirect(p.href('/subscribers', { done: 'removed' }), 303);
    }),
  );
}

type SubscriberRow = typeof t.subscriber.$inferSelect;

function SubscribersPage(props: { p: SignedPage; rows: SubscriberRow[]; filter: { kind: string; lang: string; q: string; state: string }; result: ImportResult | undefined; done: string | undefined }) {
  const { p, filter, result } = props;
  const t = p.t;
  const locales = p.deps.runtime.config.locales;
  return (
    <Layout p={p} title={t('web:subscribers.title')} section="subscribers">
      <h1>{t('web:subscribers.title')}</h1>
      {props.done === 'removed' ? (
        <p class="notice" role="status">
          {t('web:done.removed')}
        </p>
      ) : null}
      {result ? (
        <div class={result.errors.length ? 'error' : 'notice'} role="status" id="import-result">
          <p>{t('web:subscribers.result', { added: result.added, updated: result.updated })}</p>
          {result.errors.length ? (
            <>
              <p>{t('web:subscribers.errors')}</p>
              <ul>
                {result.errors.map((e) => (
                  <li>{t('web:subscribers.errorLine', { line: e.line, message: t(`web:subscribers.importError.${e.code}`, e.params) })}</li>
                ))}
              </ul>
            </>
          ) : null}
          {result.generatedSecrets.length ? (
            <>
              <p>{t('web:subscribers.secrets')}</p>
              <ul>
                {result.generatedSecrets.map((s) => (
                  <li>
                    {s.address}: <code>{s.secret}</code>
                  </li>
                ))}
              </ul>
            </>
          ) : null}
        </div>
      ) : null}
      <form method="get" action="/app/subscribers" class="filters" role="search">
        {p.langOverride ? <input type="hidden" name="lang" value={p.langOverride} /> : null}
        <div>
          <label for="s-q">{t('web:subscribers.search')}</label>
          <input type="search" id="s-q" name="q" value={filter.q} />
        </div>
        <FilterSelect
          id="s-kind"
          name="kind"
          label={t('web:subscribers.kind')}
          any={t('web:subscribers.any')}
          options={['email', 'webhook', 'slack', 'teams'].map((k) => ({ value: k, text: t(`web:subscribers.kinds.${k}`) }))}
          value={filter.kind}
        />
        <FilterSelect
          id="s-state"
          name="state"
          label={t('web:subscribers.state')}
          options={[
            { value: 'active', text: t('web:subscribers.active') },
            { value: 'removed', text: t('web:subscribers.removed') },
          ]}
          value={filter.state}
        />
        <FilterSelect
          id="s-lang"
          name="sublang"
          label={t('web:subscribers.lang')}
          any={t('web:subscribers.any')}
          options={locales.map((l) => ({ value: l, text: t(`web:languages.${l}`, { defaultValue: l }) }))}
          value={filter.lang}
        />
        <button type="submit">{t('web:subscribers.filter')}</button>
      </form>
      <h2 id="h-subscribers">{t('web:subscribers.count', { count: props.rows.length })}</h2>
      {props.rows.length === 0 ? (
        <p>{t('web:subscribers.none')}</p>
      ) : (
        <div class="table-wrap" tabindex={0}>
          <table aria-labelledby="h-subscribers" class="subscribers">
            <thead>
              <tr>
                <th scope="col">{t('web:subscribers.address')}</th>
                <th scope="col">{t('web:subscribers.kind')}</th>
                <th scope="col">{t('web:subscribers.lang')}</th>
                <th scope="col">{t('web:subscribers.zone')}</th>
                <th scope="col">{t('web:subscribers.components')}</th>
                {filter.state === 'active' ? <th scope="col">{t('web:subscribers.action')}</th> : null}
              </tr>
            </thead>
            <tbody>
              {props.rows.map((r) => (
                <tr>
                  <td style="overflow-wrap:anywhere">{r.address}</td>
                  <td>{t(`web:subscribers.kinds.${r.kind}`, { defaultValue: r.kind })}</td>
                  <td>{r.lang}</td>
                  <td>{r.timeZone}</td>
                  <td>{r.components.length ? r.components.join(', ') : t('web:subscribers.allComponents')}</td>
                  {filter.state === 'active' ? (
                    <td>
                      <PostButton p={p} action={p.href(`/subscribers/${r.id}/remove`)} class="danger" label={t('web:subscribers.removeLabel', { address: r.address })}>
                        {t('web:subscribers.remove')}
                      </PostButton>
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <form method="post" action={p.href('/subscribers/import')} enctype="multipart/form-data" class="card" id="import">
        <Csrf p={p} />
        <h2>{t('web:subscribers.importTitle')}</h2>
        <p>{t('web:subscribers.importHelp')}</p>
        <div class="field">
          <label for="csv-file">{t('web:subscribers.file')}</label>
          <input type="file" id="csv-file" name="file" accept=".csv,text/csv" />
        </div>
        <div class="field">
          <label for="csv-text">{t('web:subscribers.paste')}</label>
          <textarea id="csv-text" name="csv" spellcheck={false}>
            {'type,address,lang,time_zone,components,secret\n'}
          </textarea>
        </div>
        <p>
          <button type="submit">{t('web:subscribers.import')}</button>
        </p>
      </form>
    </Layout>
  );
}
