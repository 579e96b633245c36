/** @jsxRuntime automatic @jsxImportSource hono/jsx */
import { asc, eq, or, type SQL } from 'drizzle-orm';
import * as t from '../../db/schema.ts';
import type { App } from '../../http.ts';
import { listComponents } from '../queries.ts';
import { componentName } from '../../core/incident.ts';
import { respond, type WebDeps } from '../context.ts';
import { signedIn, type SignedPage } from '../guard.tsx';
import { Layout, PrivateTag } from '../layout.tsx';

type MaintenanceRow = typeof t.maintenance.$inferSelect;

/** `GET /app/maintenance`: upcoming, active and past maintenance windows (private ones for their author and administrators). */
export function registerMaintenanceRoutes(app: App, deps: WebDeps): void {
  const { runtime } = deps;
  app.get(
    '/app/maintenance',
    signedIn(deps, async (c, p) => {
      const visible: SQL | undefined = p.viewer.isAdmin ? undefined : or(eq(t.maintenance.visibility, 'public'), eq(t.maintenance.createdBy, p.viewer.actor.id));
      const [rows, components] = await Promise.all([
        runtime.app.db.select().from(t.maintenance).where(visible).orderBy(asc(t.maintenance.scheduledFor)).limit(500),
        listComponents(runtime.app.db),
      ]);
      const names = new Map(components.map((comp) => [comp.id, componentName(comp, p.lang)]));
      const upcoming = rows.filter((r) => r.status === 'scheduled');
      const active = rows.filter((r) => r.status === 'in_progress' || r.status === 'verifying');
      const past = rows.filter((r) => r.status === 'completed' || r.status === 'cancelled').reverse();
      const t2 = p.t;
      return respond(
        c,
        <Layout p={p} title={t2('web:maintenance.title')} section="maintenance">
          <h1>{t2('web:maintenance.title')}</h1>
          <MaintenanceTable p={p} id="active" heading={t2('web:maintenance.active')} rows={active} names={names} />
          <MaintenanceTable p={p} id="upcoming" heading={t2('web:maintenance.upcoming')} rows={upcoming} names={names} />
          <MaintenanceTable p={p} id="past" heading={t2('web:maintenance.past')} rows={past} names={names} />
        </Layout>,
      );
    }),
  );
}

function MaintenanceTable(props: { p: SignedPage; id: string; heading: string; rows: MaintenanceRow[]; names: Map<string, string> }) {
  const { p } = props;
  const t = p.t;
  const i18n = p.deps.runtime.i18n;
  return (
    <section aria-labelledby={`h-m-${props.id}`}>
      <h2 id={`h-m-${props.id}`}>{props.heading}</h2>
      {props.rows.length === 0 ? (
        <p>{t('web:maintenance.none')}</p>
      ) : (
        <div class="table-wrap" tabindex={0}>
          <table aria-labelledby={`h-m-${props.id}`}>
            <thead>
              <tr>
                <th scope="col">{t('web:maintenance.ref')}</th>
                <th scope="col">{t('web:incidents.incidentTitle')}</th>
                <th scope="col">{t('web:maintenance.window')}</th>
                <th scope="col">{t('web:maintenance.status')}</th>
                <th scope="col">{t('web:maintenance.components')}</th>
              </tr>
            </thead>
            <tbody>
              {props.rows.map((r) => (
                <tr>
                  <td>MNT-{r.number}</td>
                  <td>
                    {r.title}
                    <PrivateTag p={p} visibility={r.visibility} />
                  </td>
                  <td>
                    {i18n.formatDateTime(r.scheduledFor, p.lang, p.zone)} – {i18n.formatDateTime(r.scheduledUntil, p.lang, p.zone)}
                  </td>
                  <td>{t(`web:maintenance.state.${r.status}`, { defaultValue: r.status })}</td>
                  <td>{r.components.map((id) => props.names.get(id) ?? id).join(', ')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
