/** @jsxRuntime automatic @jsxImportSource hono/jsx */
import { generatePostmortem, readPostmortemDrafts } from '../../app/generate-postmortem.ts';
import type { App } from '../../http.ts';
import { renderMarkdown } from '../../manager/postmortem-page.ts';
import { respond, type WebDeps } from '../context.ts';
import { notFound } from '../guard.tsx';
import { Layout, PostButton } from '../layout.tsx';
import { withIncident } from './incident.tsx';

/**
 * `GET /app/incidents/:n/postmortem`: the stored draft in the viewer's language, rendered as the
 * signed postmortem page renders it (Mermaid chart drawn by the bundled script), printable;
 * `POST …/postmortem` regenerates it through the `postmortem` verb's use case.
 */
export function registerPostmortemRoutes(app: App, deps: WebDeps): void {
  const { runtime } = deps;
  app.get(
    '/app/incidents/:n/postmortem',
    withIncident(deps, async (c, p, incident) => {
      const [draft] = await readPostmortemDrafts(runtime.app, incident.id, [p.lang]);
      const t = p.t;
      const ref = `INC-${incident.number}`;
      const title = t('web:postmortem.title', { ref });
      return respond(
        c,
        <Layout p={p} title={title} section="incidents" scripts={draft ? ['/app/assets/mermaid.js'] : []}>
          <p class="no-print">
            <a href={p.href(`/incidents/${incident.number}`)}>
              ← {ref} {incident.title}
            </a>
          </p>
          {c.req.query('done') === 'regenerated' ? (
            <p class="notice no-print" role="status">
              {t('web:done.regenerated')}
            </p>
          ) : null}
          <div class="actions no-print">
            <PostButton p={p} action={p.href(`/incidents/${incident.number}/postmortem`)} class="secondary">
              {t('web:postmortem.regenerate')}
            </PostButton>
            {draft ? (
              <a href={p.href(`/incidents/${incident.number}/postmortem.md`, { lang: p.lang })} type="text/markdown">
                {t('web:postmortem.markdown')}
              </a>
            ) : null}
          </div>
          {draft ? (
            <>
              <p class="meta no-print">
                {t('web:postmortem.generatedAt', { time: runtime.i18n.formatDateTime(draft.generatedAt, p.lang, p.zone, 'fullDateTime') })} ·{' '}
                {t('web:postmortem.print')}
              </p>
              <article class="postmortem" lang={p.lang} dangerouslySetInnerHTML={{ __html: renderMarkdown(draft.markdown) }} />
            </>
          ) : (
            <>
              <h1>{title}</h1>
              <p>{t('web:postmortem.none')}</p>
            </>
          )}
        </Layout>,
      );
    }),
  );
  app.get(
    '/app/incidents/:n/postmortem.md',
    withIncident(deps, async (c, p, incident) => {
      const [draft] = await readPostmortemDrafts(runtime.app, incident.id, [p.lang]);
      if (!draft) return notFound(c, p, `INC-${incident.number}`);
      return c.body(draft.markdown, 200, {
        'Content-Type': 'text/markdown; charset=utf-8',
        'Content-Language': p.lang,
        'Content-Disposition': `inline; filename="INC-${incident.number}-postmortem-${p.lang}.md"`,
        'Cache-Control': 'private, no-store',
      });
    }),
  );
  app.post(
    '/app/incidents/:n/postmortem',
    withIncident(deps, async (c, p, incident) => {
      await generatePostmortem(runtime.app, p.viewer.meta, incident.id);
      return c.redirect(p.href(`/incidents/${incident.number}/postmortem`, { done: 'regenerated' }), 303);
    }),
  );
}
