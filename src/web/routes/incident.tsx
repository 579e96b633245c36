/** @jsxRuntime automatic @jsxImportSource hono/jsx */
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { and, asc, eq, gt } from 'drizzle-orm';
import { translatePublicUpdate } from '../../app/translate-public-update.ts';
import { cancelUpdate, editTranslation, publishUpdate } from '../../app/review-public-update.ts';
import { draftPublicUpdate } from '../../app/draft-public-update.ts';
import { formatEntryLine } from '../../core/describe-entry.ts';
import { componentName, type IncidentSnapshot, isResponder, type PublicUpdateView, type TimelineEntry } from '../../core/incident.ts';
import { KEY_MOMENTS } from '../../core/model.ts';
import { compareEntries } from '../../core/timeline.ts';
import { findIncidentIdByNumber, loadSnapshot } from '../../db/incident-repository.ts';
import * as t from '../../db/schema.ts';
import type { App, AppEnv } from '../../http.ts';
import type { GlossaryTerm } from '../../translate/glossary.ts';
import { respond, type Viewer, type WebDeps } from '../context.ts';
import { Highlighted, termForms } from '../glossary.tsx';
import { field, notFound, signedIn, type SignedPage } from '../guard.tsx';
import { Csrf, Layout, PostButton, PrivateTag } from '../layout.tsx';
import { listComponents } from '../queries.ts';

/** The incident by its number, if the viewer may see it: an administrator any, others public ones and those they respond to. */
export async function incidentForViewer(deps: WebDeps, viewer: Viewer, raw: string): Promise<IncidentSnapshot | undefined> {
  const digits = raw.replace(/^INC-/i, '');
  if (!/^\d{1,9}$/.test(digits)) return undefined;
  const id = await findIncidentIdByNumber(deps.runtime.app.db, Number(digits));
  const incident = id ? await loadSnapshot(deps.runtime.app.db, id) : undefined;
  if (!incident) return undefined;
  if (viewer.isAdmin || incident.visibility === 'public' || isResponder(incident, viewer.actor.id, false)) return incident;
  return undefined;
}

/** Like signedIn, for a route about the incident `:n`: 404 unless the viewer may see it (see {@link incidentForViewer}), else `handler` with it. */
export function withIncident(deps: WebDeps, handler: (c: Context<AppEnv>, p: SignedPage, incident: IncidentSnapshot, form: Record<string, string | File>) => Promise<Response>) {
  return signedIn(deps, async (c, p, form) => {
    const incident = await incidentForViewer(deps, p.viewer, c.req.param('n') ?? '');
    if (!incident) return notFound(c, p, c.req.param('n') ?? '');
    return handler(c, p, incident, form);
  });
}

/** Glossary terms: COMPONENTS_FILE's glossary (as the translator uses it) and every component's names. */
export async function glossaryTerms(deps: WebDeps): Promise<GlossaryTerm[]> {
  const components = await listComponents(deps.runtime.app.db);
  return [...(deps.runtime.translator?.glossary.terms ?? []), ...components.map((c) => ({ term: c.name, names: c.names }))];
}

/** How long one live-timeline connection stays open before the browser reconnects (EventSource does by itself). */
const STREAM_MS = 5 * 60_000;
const POLL_MS = 1_000;

/**
 * An incident's page and its review actions:
 * - `GET /app/incidents/:n` header, roles, components, public updates with each language side by
 *   side, timeline; `GET /app/incidents/:n/events` the timeline's new entries as server-sent events;
 * - `POST …/updates/:id/translation|publish|cancel|translate` through the same use cases as chat's
 *   preview buttons, so PUBLISH_APPROVAL and every other rule are theirs.
 */
export function registerIncidentRoutes(app: App, deps: WebDeps): void {
  const { runtime } = deps;

  app.get(
    '/app/incidents/:n',
    withIncident(deps, async (c, p, incident) => {
      return respond(c, <IncidentPage p={p} incident={incident} terms={await glossaryTerms(deps)} done={c.req.query('done')} />);
    }),
  );

  app.get(
    '/app/incidents/:n/events',
    withIncident(deps, async (c, p, incident) => {
      const incidentId = incident.id;
      let after = Number(c.req.header('last-event-id') ?? c.req.query('after') ?? 0) || 0;
      c.header('Cache-Control', 'no-store');
      return streamSSE(c, async (stream) => {
        let open = true;
        stream.onAbort(() => {
          open = false;
        });
        const until = Date.now() + STREAM_MS;
        await stream.writeSSE({ event: 'ready', data: '', retry: 3000 });
        // A database that goes away (shutdown) ends the stream; the browser reconnects by itself.
        try {
          while (open && Date.now() < until) {
            const rows = await runtime.app.db
              .select()
              .from(t.timelineEntry)
              .where(and(eq(t.timelineEntry.incidentId, incidentId), gt(t.timelineEntry.seq, after)))
              .orderBy(asc(t.timelineEntry.seq))
              .limit(100);
            for (const row of rows) {
              const entry = { ...row, data: row.data ?? {} } as TimelineEntry;
              const html = (await (<EntryItem p={p} entry={entry} />).toString()) as string;
              await stream.writeSSE({ id: String(row.seq), event: 'entry', data: JSON.stringify({ id: row.id, html }) });
              after = row.seq;
            }
            await stream.sleep(POLL_MS);
          }
        } catch {
          open = false;
        }
      });
    }),
  );

  /** The update named in the path, of the incident named in the path, when the viewer may see it. */
  const target = async (c: Context<AppEnv>, p: SignedPage) => {
    const incident = await incidentForViewer(deps, p.viewer, c.req.param('n') ?? '');
    const update = incident?.publicUpdates.find((u) => u.id === c.req.param('id'));
    return incident && update ? { incident, update } : undefined;
  };
  const back = (c: Context<AppEnv>, p: SignedPage, number: number, done: string) => c.redirect(`${p.href(`/incidents/${number}`, { done })}#updates`, 303);
  type Target = NonNullable<Awaited<ReturnType<typeof target>>>;
  /** A POST on one public update: 404 unless the viewer may see it (and `allowed` says yes), else `act`, then back to the page saying `done`. */
  const onUpdate = (
    done: string,
    act: (found: Target, p: SignedPage, form: Record<string, string | File>) => Promise<unknown>,
    allowed: (found: Target, p: SignedPage) => boolean = () => true,
  ) =>
    signedIn(deps, async (c, p, form) => {
      const found = await target(c, p);
      if (!found || !allowed(found, p)) return notFound(c, p, c.req.param('n') ?? '');
      await act(found, p, form);
      return back(c, p, found.incident.number, done);
    });

  app.post(
    '/app/incidents/:n/updates',
    withIncident(deps, async (c, p, incident, form) => {
      // The `publish` verb's use case: a draft for review, or published at once with PUBLISH_APPROVAL=off.
      const { outcome } = await draftPublicUpdate(runtime.app, p.viewer.meta, incident.id, { text: field(form, 'text') });
      return back(c, p, incident.number, outcome.state === 'published' ? 'published' : 'drafted');
    }),
  );
  app.post(
    '/app/incidents/:n/updates/:id/translation',
    onUpdate('saved', (found, p, form) => editTranslation(runtime.app, p.viewer.meta, found.update.id, { lang: field(form, 'lang'), body: field(form, 'body') })),
  );
  app.post(
    '/app/incidents/:n/updates/:id/publish',
    onUpdate('published', (found, p) => publishUpdate(runtime.app, p.viewer.meta, found.update.id)),
  );
  app.post(
    '/app/incidents/:n/updates/:id/cancel',
    onUpdate('cancelled', (found, p) => cancelUpdate(runtime.app, p.viewer.meta, found.update.id)),
  );
  app.post(
    '/app/incidents/:n/updates/:id/translate',
    onUpdate(
      'translated',
      (found) => translatePublicUpdate(runtime.app, found.update.id),
      // Machine translation writes only what is missing; asking for it is a responder's act, as in chat.
      (found, p) => p.viewer.isAdmin || isResponder(found.incident, p.viewer.actor.id, false),
    ),
  );
}

function EntryItem(props: { p: SignedPage; entry: TimelineEntry }) {
  const { p, entry } = props;
  return (
    <li id={`e-${entry.id}`} data-seq={String(entry.seq)}>
      {formatEntryLine(entry, p.lang, p.zone, p.deps.runtime.i18n)}
    </li>
  );
}

const DONE = ['saved', 'published', 'cancelled', 'translated', 'regenerated', 'drafted'];

function IncidentPage(props: { p: SignedPage; incident: IncidentSnapshot; terms: GlossaryTerm[]; done: string | undefined }) {
  const { p, incident } = props;
  const t = p.t;
  const i18n = p.deps.runtime.i18n;
  const ref = `INC-${incident.number}`;
  const entries = [...incident.entries].sort(compareEntries);
  const lastSeq = incident.entries.reduce((m, e) => Math.max(m, e.seq), 0);
  const updates = [...incident.publicUpdates].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
  const approval = p.deps.runtime.app.settings.publishApproval;
  return (
    <Layout p={p} title={`${ref} ${incident.title}`} section="incidents" scripts={['/app/assets/app.js']}>
      <p class="no-print">
        <a href={p.href('/')}>{t('web:incident.back')}</a>
      </p>
      <h1>
        {ref} {incident.title}
      </h1>
      <p class="meta">
        <span class={`tag sev-${incident.severity}`}>{incident.severity}</span> {t(`common:status.${incident.status}`, { defaultValue: incident.status })}
        <PrivateTag p={p} visibility={incident.visibility} />
      </p>
      {props.done && DONE.includes(props.done) ? (
        <p class="notice" role="status">
          {t(`web:done.${props.done}`)}
        </p>
      ) : null}
      {incident.summary ? <p>{incident.summary}</p> : null}
      <p>
        <a href={p.href(`/incidents/${incident.number}/postmortem`)}>{t('web:incident.postmortem')}</a>
      </p>
      <div class="charts">
        <section class="card" aria-labelledby="h-moments">
          <h2 id="h-moments">{t('web:incident.moments')}</h2>
          <dl class="facts">
            <dt>{t('web:incident.declaredBy')}</dt>
            <dd>{incident.declaredBy.name}</dd>
            {KEY_MOMENTS.filter((m) => incident.moments[m]).map((m) => (
              <>
                <dt>{t(`web:moments.${m}`)}</dt>
                <dd>{i18n.formatDateTime(incident.moments[m]!, p.lang, p.zone)}</dd>
              </>
            ))}
          </dl>
        </section>
        <section class="card" aria-labelledby="h-roles">
          <h2 id="h-roles">{t('web:incident.roles')}</h2>
          {incident.roles.length ? (
            <dl class="facts">
              {incident.roles.map((r) => (
                <>
                  <dt>{t(`common:role.${r.role}`, { defaultValue: r.role })}</dt>
                  <dd>{r.userName}</dd>
                </>
              ))}
            </dl>
          ) : (
            <p>{t('web:incident.noRoles')}</p>
          )}
          <h2 id="h-components">{t('web:incident.components')}</h2>
          {incident.components.length ? (
            <ul>
              {incident.components.map((comp) => (
                <li>
                  {componentName(comp, p.lang)} — {t(`common:impact.${comp.impact}`)}
                </li>
              ))}
            </ul>
          ) : (
            <p>{t('web:incident.noComponents')}</p>
          )}
        </section>
      </div>
      <section id="updates" aria-labelledby="h-updates">
        <h2 id="h-updates">{t('web:updates.title')}</h2>
        <p class="meta">{t(`web:updates.approval.${approval}`)}</p>
        {incident.visibility === 'public' ? (
          <form method="post" action={p.href(`/incidents/${incident.number}/updates`)} class="card no-print">
            <Csrf p={p} />
            <label for="new-update">{t('web:updates.write', { status: t(`common:status.${incident.status}`, { defaultValue: incident.status }) })}</label>
            <textarea id="new-update" name="text" required maxlength={3000} />
            <p>
              <button type="submit" class="secondary">
                {t(approval === 'off' ? 'web:updates.publishNow' : 'web:updates.draft')}
              </button>
            </p>
          </form>
        ) : (
          <p>{t('web:updates.privateIncident')}</p>
        )}
        {updates.length === 0 ? <p>{t('web:updates.none')}</p> : updates.map((u) => <UpdateCard p={p} incident={incident} update={u} terms={props.terms} />)}
      </section>
      <section aria-labelledby="h-timeline">
        <h2 id="h-timeline">{t('web:incident.timeline', { zone: p.zone })}</h2>
        <div class="card">
          <ol class="timeline" data-events={p.href(`/incidents/${incident.number}/events`, { after: String(lastSeq) })} aria-live="polite">
            {entries.map((e) => (
              <EntryItem p={p} entry={e} />
            ))}
          </ol>
        </div>
      </section>
    </Layout>
  );
}

function UpdateCard(props: { p: SignedPage; incident: IncidentSnapshot; update: PublicUpdateView; terms: GlossaryTerm[] }) {
  const { p, incident, update } = props;
  const t = p.t;
  const i18n = p.deps.runtime.i18n;
  const locales = p.deps.runtime.config.locales;
  const base = `/incidents/${incident.number}/updates/${update.id}`;
  const draft = update.state === 'draft';
  const missing = locales.filter((l) => !update.translations.some((tr) => tr.lang === l));
  const when = update.publishedAt ?? update.createdAt;
  return (
    <article class={`card update-card state-${update.state}`} id={`u-${update.id}`} aria-labelledby={`h-u-${update.id}`}>
      <h3 id={`h-u-${update.id}`}>
        {t(`web:updates.state.${update.state}`)} · {t(`common:status.${update.status}`, { defaultValue: update.status })} · {i18n.formatDateTime(when, p.lang, p.zone)}
      </h3>
      <div class="review">
        {locales.map((lang) => {
          const tr = update.translations.find((x) => x.lang === lang);
          const langName = t(`web:languages.${lang}`, { defaultValue: lang });
          const editable = draft || (update.state === 'published' && !tr && lang !== update.sourceLang);
          return (
            <div class={`lang-col${tr ? '' : ' missing'}`} lang={lang} role="group" aria-labelledby={`h-${update.id}-${lang}`} data-lang={lang}>
              <h4 lang={p.lang} id={`h-${update.id}-${lang}`}>
                {langName}
                {lang === update.sourceLang ? <span class="tag original">{t('web:review.original')}</span> : null}
                {/* The original needs no "written by a person": 原文 says it; approval is still worth a mark. */}
                {tr ? (lang === update.sourceLang && tr.origin === 'human' ? null : <span class={`tag origin-${tr.origin}`}>{t(`web:review.origin.${tr.origin}`)}</span>) : <span class="tag">{t('web:review.missing')}</span>}
              </h4>
              {tr ? (
                <p class="body">
                  <Highlighted text={tr.body} forms={termForms(props.terms, lang)} label={t('web:review.glossaryTerm')} />
                </p>
              ) : null}
              {editable ? (
                <form method="post" action={p.href(`${base}/translation`)} class="no-print" lang={p.lang}>
                  <Csrf p={p} />
                  <input type="hidden" name="lang" value={lang} />
                  <label for={`body-${update.id}-${lang}`}>{t('web:review.edit', { lang: langName })}</label>
                  <textarea id={`body-${update.id}-${lang}`} name="body" lang={lang} required>
                    {tr?.body ?? ''}
                  </textarea>
                  <button type="submit" class="secondary">
                    {t('web:review.save')}
                  </button>
                </form>
              ) : null}
            </div>
          );
        })}
      </div>
      {draft ? (
        <div class="actions no-print">
          <PostButton p={p} action={p.href(`${base}/publish`)}>
            {t('web:review.publish')}
          </PostButton>
          {missing.length && p.deps.runtime.app.translator ? (
            <PostButton p={p} action={p.href(`${base}/translate`)} class="secondary">
              {t('web:review.translate')}
            </PostButton>
          ) : null}
          <PostButton p={p} action={p.href(`${base}/cancel`)} class="danger">
            {t('web:review.cancel')}
          </PostButton>
        </div>
      ) : null}
    </article>
  );
}
