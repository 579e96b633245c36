/** @jsxRuntime automatic @jsxImportSource hono/jsx */
import type { IntervalId } from '../../core/timeline.ts';
import type { App } from '../../http.ts';
import { MediansChart, INTERVAL_COLOURS } from '../chart.tsx';
import { respond, type WebDeps } from '../context.ts';
import { signedIn, type SignedPage } from '../guard.tsx';
import { Layout } from '../layout.tsx';
import { type GroupMedians, incidentMetrics, INTERVAL_IDS, mediansBy, metricsCsv, translationWaits } from '../metrics.ts';

/**
 * `GET /app/metrics`: time to detect, declare, first public notice, mitigate and resolve per
 * incident, their medians per month and per severity as charts with their tables, and the
 * translation wait per language — over the incidents the viewer may see. `GET /app/metrics.csv`
 * is the per-incident table as CSV.
 */
export function registerMetricsRoutes(app: App, deps: WebDeps): void {
  const { runtime } = deps;
  app.get(
    '/app/metrics.csv',
    signedIn(deps, async (c, p) => {
      const rows = await incidentMetrics(runtime.app.db, p.viewer, p.zone);
      return c.body(metricsCsv(rows), 200, {
        'Content-Type': 'text/csv; charset=utf-8',
        'Content-Disposition': 'attachment; filename="tsuiki-metrics.csv"',
        'Cache-Control': 'private, no-store',
      });
    }),
  );
  app.get(
    '/app/metrics',
    signedIn(deps, async (c, p) => {
      const [rows, waits] = await Promise.all([incidentMetrics(runtime.app.db, p.viewer, p.zone), translationWaits(runtime.app.db, p.viewer, runtime.config.locales)]);
      const t = p.t;
      const i18n = runtime.i18n;
      const label = (id: IntervalId) => t(`web:metrics.interval.${id}`);
      const duration = (ms: number | undefined) => (ms === undefined ? undefined : i18n.formatDuration(ms, p.lang));
      const byMonth = mediansBy(rows, (r) => r.month);
      const bySeverity = mediansBy(rows, (r) => r.severity);
      return respond(
        c,
        <Layout p={p} title={t('web:metrics.title')} section="metrics">
          <h1>{t('web:metrics.title')}</h1>
          <p>{t('web:metrics.intro', { count: rows.length })}</p>
          <p>
            <a href={p.href('/metrics.csv')} download="tsuiki-metrics.csv">
              {t('web:metrics.csv')}
            </a>
          </p>
          {rows.length === 0 ? (
            <p>{t('web:metrics.none')}</p>
          ) : (
            <>
              <ul class="chart-legend" aria-hidden="true">
                {INTERVAL_IDS.map((id) => (
                  <li>
                    <span class="swatch" style={`background:${INTERVAL_COLOURS[id]}`} />
                    {label(id)}
                  </li>
                ))}
              </ul>
              <div class="charts">
                <MediansSection p={p} id="by-month" heading={t('web:metrics.byMonth')} groupHeading={t('web:metrics.month')} groupWord={t('web:metrics.groupMonth')} groups={byMonth} label={label} duration={duration} />
                <MediansSection p={p} id="by-severity" heading={t('web:metrics.bySeverity')} groupHeading={t('web:metrics.severity')} groupWord={t('web:metrics.groupSeverity')} groups={bySeverity} label={label} duration={duration} />
              </div>
              <h2 id="h-per-incident">{t('web:metrics.perIncident')}</h2>
              <div class="table-wrap" tabindex={0}>
                <table aria-labelledby="h-per-incident" class="per-incident">
                  <thead>
                    <tr>
                      <th scope="col">{t('web:incidents.ref')}</th>
                      <th scope="col">{t('web:incidents.severity')}</th>
                      <th scope="col">{t('web:moments.started')}</th>
                      {INTERVAL_IDS.map((id) => (
                        <th scope="col" class="num">
                          {label(id)}
                        </th>
                      ))}
                    </tr>
                  </thead>
                  <tbody>
                    {rows.map((r) => (
                      <tr>
                        <th scope="row">
                          <a href={p.href(`/incidents/${r.number}`)}>INC-{r.number}</a> <span class="sr-only">{r.title}</span>
                        </th>
                        <td>{r.severity}</td>
                        <td>{i18n.formatDateTime(r.started, p.lang, p.zone)}</td>
                        {INTERVAL_IDS.map((id) => (
                          <td class="num">{duration(r.intervals[id]) ?? <NotRecorded p={p} />}</td>
                        ))}
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </>
          )}
          <h2 id="h-waits">{t('web:metrics.translationWait')}</h2>
          <p>{t('web:metrics.translationWaitHelp')}</p>
          <div class="table-wrap" tabindex={0}>
            <table aria-labelledby="h-waits" class="waits">
              <thead>
                <tr>
                  <th scope="col">{t('web:metrics.language')}</th>
                  <th scope="col" class="num">{t('web:metrics.updates')}</th>
                  <th scope="col" class="num">{t('web:metrics.median')}</th>
                  <th scope="col" class="num">{t('web:metrics.max')}</th>
                  <th scope="col" class="num">{t('web:metrics.stillMissing')}</th>
                </tr>
              </thead>
              <tbody>
                {waits.map((w) => (
                  <tr>
                    <th scope="row">{t(`web:languages.${w.lang}`, { defaultValue: w.lang })}</th>
                    <td class="num">{w.updates}</td>
                    <td class="num">{duration(w.medianMs) ?? <NotRecorded p={p} />}</td>
                    <td class="num">{duration(w.maxMs) ?? <NotRecorded p={p} />}</td>
                    <td class="num">{w.missing}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </Layout>,
      );
    }),
  );
}

function NotRecorded(props: { p: SignedPage }) {
  return <span title={props.p.t('web:metrics.notRecordedLabel')} aria-label={props.p.t('web:metrics.notRecordedLabel')}>{props.p.t('web:metrics.notRecorded')}</span>;
}

function MediansSection(props: {
  p: SignedPage;
  id: string;
  heading: string;
  groupHeading: string;
  groupWord: string;
  groups: GroupMedians[];
  label: (id: IntervalId) => string;
  duration: (ms: number | undefined) => string | undefined;
}) {
  const { p } = props;
  const t = p.t;
  return (
    <section aria-labelledby={`h-${props.id}`}>
      <figure class="chart">
        <figcaption id={`h-${props.id}`}>{props.heading}</figcaption>
        <MediansChart id={`chart-${props.id}`} title={props.heading} desc={t('web:metrics.chartDesc', { group: props.groupWord })} groups={props.groups} label={props.label} unit={t('web:metrics.minutes')} />
      </figure>
      <div class="table-wrap" tabindex={0}>
        <table class={`medians ${props.id}`}>
          <caption class="sr-only">{props.heading}</caption>
          <thead>
            <tr>
              <th scope="col">{props.groupHeading}</th>
              <th scope="col" class="num">{t('web:metrics.incidents')}</th>
              {INTERVAL_IDS.map((id) => (
                <th scope="col" class="num">
                  {props.label(id)}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {props.groups.map((g) => (
              <tr>
                <th scope="row">{g.group}</th>
                <td class="num">{g.incidents}</td>
                {INTERVAL_IDS.map((id) => (
                  <td class="num">{props.duration(g.medians[id]) ?? <NotRecorded p={p} />}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
