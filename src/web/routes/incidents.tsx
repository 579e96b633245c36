/** @jsxRuntime automatic @jsxImportSource hono/jsx */
import type { App } from '../../http.ts';
import { componentName } from '../../core/incident.ts';
import type { WebDeps } from '../context.ts';
import { respond } from '../context.ts';
import { signedIn, type SignedPage } from '../guard.tsx';
import { FilterSelect, Layout, PrivateTag } from '../layout.tsx';
import { type IncidentRow, listComponents, listIncidents, OPEN_STATUSES } from '../queries.ts';

/** `GET /app/`: open and past incidents the viewer may see, filtered and searched. */
export function registerIncidentListRoute(app: App, deps: WebDeps): void {
  const { runtime } = deps;
  app.get(
    '/app',
    signedIn(deps, async (c, p) => c.redirect(p.href('/'), 301)),
  );
  app.get(
    '/app/',
    signedIn(deps, async (c, p) => {
      const filter = { status: c.req.query('status'), severity: c.req.query('severity'), component: c.req.query('component'), q: c.req.query('q') };
      const [rows, components] = await Promise.all([listIncidents(runtime.app.db, p.viewer, filter), listComponents(runtime.app.db)]);
      const open = rows.filter((r) => (OPEN_STATUSES as readonly string[]).includes(r.status));
      const past = rows.filter((r) => !(OPEN_STATUSES as readonly string[]).includes(r.status));
      const t = p.t;
      const searched = Boolean(filter.q || filter.status || filter.severity || filter.component);
      return respond(
        c,
        <Layout p={p} title={t('web:incidents.title')} section="incidents">
          <h1>{t('web:incidents.title')}</h1>
          <form method="get" action="/app/" class="filters" role="search">
            {p.langOverride ? <input type="hidden" name="lang" value={p.langOverride} /> : null}
            <div>
              <label for="f-q">{t('web:incidents.search')}</label>
              <input type="search" id="f-q" name="q" value={filter.q ?? ''} />
            </div>
            <FilterSelect
              id="f-status"
              name="status"
              label={t('web:incidents.status')}
              any={t('web:incidents.any')}
              options={['open', 'past', 'investigating', 'identified', 'monitoring', 'resolved', 'closed'].map((s) => ({
                value: s,
                text: s === 'open' || s === 'past' ? t(`web:incidents.${s}`) : t(`common:status.${s}`, { defaultValue: s }),
              }))}
              value={filter.status}
            />
            <FilterSelect
              id="f-severity"
              name="severity"
              label={t('web:incidents.severity')}
              any={t('web:incidents.any')}
              options={['SEV1', 'SEV2', 'SEV3', 'SEV4'].map((s) => ({ value: s, text: s }))}
              value={filter.severity}
            />
            <FilterSelect
              id="f-component"
              name="component"
              label={t('web:incidents.component')}
              any={t('web:incidents.any')}
              options={components.map((comp) => ({ value: comp.id, text: componentName(comp, p.lang) }))}
              value={filter.component}
            />
            <button type="submit">{t('web:incidents.apply')}</button>
            {searched ? <a href={p.href('/')}>{t('web:incidents.clear')}</a> : null}
          </form>
          <IncidentTable p={p} id="open" caption={t('web:incidents.openTitle', { count: open.length })} rows={open} empty={t('web:incidents.noneOpen')} />
          <IncidentTable p={p} id="past" caption={t('web:incidents.pastTitle', { count: past.length })} rows={past} empty={t('web:incidents.nonePast')} />
        </Layout>,
      );
    }),
  );
}

function IncidentTable(props: { p: SignedPage; id: string; caption: string; rows: IncidentRow[]; empty: string }) {
  const { p } = props;
  const t = p.t;
  const i18n = p.deps.runtime.i18n;
  return (
    <section aria-labelledby={`h-${props.id}`}>
      <h2 id={`h-${props.id}`}>{props.caption}</h2>
      {props.rows.length === 0 ? (
        <p>{props.empty}</p>
      ) : (
        <div class="table-wrap" tabindex={0}>
          {/* Explicit roles: on phones the rows are laid out as cards (CSS), and a table restyled so keeps its semantics only when they are spelled out. */}
          <table class={`incidents ${props.id}`} role="table">
            <thead role="rowgroup">
              <tr role="row">
                <th scope="col" role="columnheader">{t('web:incidents.ref')}</th>
                <th scope="col" role="columnheader">{t('web:incidents.incidentTitle')}</th>
                <th scope="col" role="columnheader">{t('web:incidents.severity')}</th>
                <th scope="col" role="columnheader">{t('web:incidents.status')}</th>
                <th scope="col" role="columnheader">{t('web:incidents.declared')}</th>
              </tr>
            </thead>
            <tbody role="rowgroup">
              {props.rows.map((r) => (
                <tr role="row">
                  <td role="cell">
                    <a href={p.href(`/incidents/${r.number}`)}>INC-{r.number}</a>
                  </td>
                  <td role="cell" class="title">
                    {r.title}
                    <PrivateTag p={p} visibility={r.visibility} />
                  </td>
                  <td role="cell">
                    <span class={`tag sev-${r.severity}`}>{r.severity}</span>
                  </td>
                  <td role="cell">{t(`common:status.${r.status}`, { defaultValue: r.status })}</td>
                  <td role="cell">{i18n.formatDateTime(r.createdAt, p.lang, p.zone)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
