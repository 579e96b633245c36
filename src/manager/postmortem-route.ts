import { timingSafeEqual } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import * as t from '../db/schema.ts';
import type { App } from '../http.ts';
import type { I18n } from '../i18n.ts';

export interface PostmortemRouteDeps {
  db: Db;
  i18n: I18n;
  languages: readonly string[];
  /** ADMIN_TOKEN: the bearer that opens private incidents' drafts; unset, they are never served. */
  adminToken: string | undefined;
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * `GET /incidents/:number/postmortem.md?lang=` — the stored draft as Markdown, the link a
 * Teams card points at. Public incidents are readable by anyone with the link (as their
 * status page is); private ones need `Authorization: Bearer <ADMIN_TOKEN>`.
 */
export function registerPostmortemRoute(app: App, deps: PostmortemRouteDeps): void {
  app.get('/incidents/:number/postmortem.md', async (c) => {
    const raw = c.req.param('number').replace(/^INC-/i, '');
    const lang = deps.languages.includes(c.req.query('lang') ?? '') ? c.req.query('lang')! : deps.languages[0]!;
    const tr = deps.i18n.t(lang);
    const ref = `INC-${raw}`;
    const plain = (body: string, status: 401 | 404) => c.text(`${body}\n`, status, { 'Cache-Control': 'no-store' });
    if (!/^\d{1,9}$/.test(raw)) return plain(tr('manager:http.notFound', { ref, lang }), 404);
    const [incident] = await deps.db
      .select({ id: t.incident.id, visibility: t.incident.visibility })
      .from(t.incident)
      .where(eq(t.incident.number, Number(raw)));
    if (!incident) return plain(tr('manager:http.notFound', { ref, lang }), 404);
    if (incident.visibility === 'private') {
      const header = c.req.header('authorization') ?? '';
      const token = /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim();
      if (!deps.adminToken || !token || !sameSecret(token, deps.adminToken)) {
        c.header('WWW-Authenticate', 'Bearer realm="tsuiki"');
        return plain(tr('manager:http.unauthorized', { ref }), 401);
      }
    }
    const [draft] = await deps.db
      .select({ markdown: t.postmortem.markdown, generatedAt: t.postmortem.generatedAt })
      .from(t.postmortem)
      .where(and(eq(t.postmortem.incidentId, incident.id), eq(t.postmortem.lang, lang)));
    if (!draft) return plain(tr('manager:http.notFound', { ref, lang }), 404);
    return c.body(draft.markdown, 200, {
      'Content-Type': 'text/markdown; charset=utf-8',
      'Content-Language': lang,
      'Last-Modified': draft.generatedAt.toUTCString(),
      'Cache-Control': incident.visibility === 'private' ? 'private, no-store' : 'no-cache',
    });
  });
}
