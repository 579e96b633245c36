import { and, eq } from 'drizzle-orm';
import type { Context } from 'hono';
import { type PostmortemLinks, postmortemPath } from '../chat/postmortem-link.ts';
import type { Db } from '../db/client.ts';
import * as t from '../db/schema.ts';
import type { App, AppEnv } from '../http.ts';
import type { I18n } from '../i18n.ts';
import { checkPageAccess, pageLanguage, siblingQuery } from './page-access.ts';
import { MERMAID_SCRIPT_PATH, mermaidScript, renderPostmortemHtml, renderPostmortemMessage } from './postmortem-page.ts';

export interface PostmortemRouteDeps {
  db: Db;
  i18n: I18n;
  languages: readonly string[];
  /** ADMIN_TOKEN: the bearer that opens any draft; unset, only signed links do. */
  adminToken: string | undefined;
  /** Checks signed links from chat; undefined when no secret to sign with is configured (only the token opens then). */
  links?: PostmortemLinks | undefined;
  /** The team's zone, for when a link expires. */
  teamTimeZone?: string | undefined;
}

// Internal pages: never cached by others, never indexed, never leaking their signed URL in a
// Referer. Scripts only from tsuiki itself (Mermaid's bundle); Mermaid writes inline SVG styles.
const PAGE_HEADERS = {
  'Cache-Control': 'private, no-store',
  'Referrer-Policy': 'no-referrer',
  'X-Robots-Tag': 'noindex, nofollow',
  'X-Content-Type-Options': 'nosniff',
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
};


/**
 * The postmortem drafts over HTTP:
 * - `GET /incidents/:number/postmortem?lang=&exp=&sig=` — the draft rendered as a printable HTML
 *   page with its Mermaid chart drawn, opened by a signed link from chat (see
 *   chat/postmortem-link.ts) or `Authorization: Bearer <ADMIN_TOKEN>`; anything else is 403
 *   before the incident is even looked up, so numbers cannot be probed.
 * - `GET /incidents/:number/postmortem.md?lang=` — the stored Markdown. Public incidents are
 *   readable by anyone with the URL (as their status page is); private ones need the token or a
 *   signed link.
 * - `GET /assets/mermaid.min.js` — Mermaid's browser bundle from the installed npm package.
 */
export function registerPostmortemRoute(app: App, deps: PostmortemRouteDeps): void {
  const zone = deps.teamTimeZone ?? 'UTC';
  const langOf = (c: Context<AppEnv>): string => pageLanguage(c, deps.languages);
  const findDraft = async (number: number, lang: string) => {
    const [incident] = await deps.db.select({ id: t.incident.id, visibility: t.incident.visibility }).from(t.incident).where(eq(t.incident.number, number));
    if (!incident) return { incident: undefined, draft: undefined };
    const [draft] = await deps.db
      .select({ markdown: t.postmortem.markdown, generatedAt: t.postmortem.generatedAt })
      .from(t.postmortem)
      .where(and(eq(t.postmortem.incidentId, incident.id), eq(t.postmortem.lang, lang)));
    return { incident, draft };
  };

  app.get('/incidents/:number/postmortem.md', async (c) => {
    const raw = c.req.param('number').replace(/^INC-/i, '');
    const lang = deps.languages.includes(c.req.query('lang') ?? '') ? c.req.query('lang')! : deps.languages[0]!;
    const tr = deps.i18n.t(lang);
    const ref = `INC-${raw}`;
    const plain = (body: string, status: 401 | 404) => c.text(`${body}\n`, status, { 'Cache-Control': 'no-store' });
    if (!/^\d{1,9}$/.test(raw)) return plain(tr('manager:http.notFound', { ref, lang }), 404);
    const { incident, draft } = await findDraft(Number(raw), lang);
    if (!incident) return plain(tr('manager:http.notFound', { ref, lang }), 404);
    if (incident.visibility === 'private' && !checkPageAccess(c, deps.adminToken, deps.links, Number(raw)).ok) {
      c.header('WWW-Authenticate', 'Bearer realm="tsuiki"');
      return plain(tr('manager:http.unauthorized', { ref }), 401);
    }
    if (!draft) return plain(tr('manager:http.notFound', { ref, lang }), 404);
    return c.body(draft.markdown, 200, {
      'Content-Type': 'text/markdown; charset=utf-8',
      'Content-Language': lang,
      'Last-Modified': draft.generatedAt.toUTCString(),
      'Cache-Control': incident.visibility === 'private' ? 'private, no-store' : 'no-cache',
    });
  });

  app.get('/incidents/:number/postmortem', async (c) => {
    const lang = langOf(c);
    const tr = deps.i18n.t(lang);
    const raw = c.req.param('number');
    const number = /^\d{1,9}$/.test(raw) ? Number(raw) : undefined;
    const ref = `INC-${number ?? 0}`;
    const answer = (status: 403 | 404, title: string, message: string) =>
      c.html(renderPostmortemMessage(lang, title, message), status, { ...PAGE_HEADERS, 'Content-Language': lang });

    const access = checkPageAccess(c, deps.adminToken, deps.links, number);
    if (!access.ok) {
      const message =
        access.reason === 'expired'
          ? tr('manager:http.postmortemLinkExpired', { time: deps.i18n.formatDateTime(access.expires, lang, zone, 'fullDateTime') })
          : tr('manager:http.postmortemLinkInvalid');
      return answer(403, tr('manager:http.forbidden'), message);
    }
    const { incident, draft } = number !== undefined ? await findDraft(number, lang) : { incident: undefined, draft: undefined };
    if (!incident) return answer(404, tr('manager:http.noIncident', { ref }), tr('manager:http.noIncident', { ref }));
    if (!draft) return answer(404, tr('manager:http.notFound', { ref, lang }), tr('manager:http.notFound', { ref, lang }));

    // The Markdown and the other languages open with the same signature (relative, so they work behind any host).
    const signed = (l: string) => siblingQuery(c, access.admin, l);
    const body = renderPostmortemHtml(draft.markdown, {
      i18n: deps.i18n,
      lang,
      zone,
      ref,
      expires: access.expires,
      markdownHref: `${postmortemPath(number!, 'markdown')}?${signed(lang)}`,
      others: deps.languages.filter((l) => l !== lang).map((l) => ({ lang: l, href: `${postmortemPath(number!)}?${signed(l)}` })),
    });
    return c.html(body, 200, {
      ...PAGE_HEADERS,
      'Content-Language': lang,
      'Last-Modified': draft.generatedAt.toUTCString(),
      Vary: 'Accept-Language, Authorization',
    });
  });

  app.get(MERMAID_SCRIPT_PATH, (c) =>
    c.body(new Uint8Array(mermaidScript()), 200, {
      'Content-Type': 'text/javascript; charset=utf-8',
      // The page asks for it with the package's version in the query: a new version is a new URL.
      'Cache-Control': 'public, max-age=604800',
      'X-Content-Type-Options': 'nosniff',
    }),
  );
}
