import type { Context } from 'hono';
import type { TimelineLinks } from '../chat/timeline-link.ts';
import { timelinePath } from '../chat/timeline-link.ts';
import { formatIncidentRef } from '../core/model.ts';
import type { Db } from '../db/client.ts';
import { findIncidentIdByNumber, loadSnapshot } from '../db/incident-repository.ts';
import type { App, AppEnv } from '../http.ts';
import type { I18n } from '../i18n.ts';
import { checkPageAccess, pageLanguage, siblingQuery } from './page-access.ts';
import { renderTimelineHtml, renderTimelineMarkdown, renderTimelineMessage } from './timeline-page.ts';

export interface TimelineRouteDeps {
  db: Db;
  i18n: I18n;
  languages: readonly string[];
  /** The team's zone: entries read as the responders lived them. */
  teamTimeZone: string;
  /** Checks signed links; undefined when no secret to sign with is configured (only the token opens then). */
  links: TimelineLinks | undefined;
  /** ADMIN_TOKEN: as a bearer it opens any incident's timeline without a link. */
  adminToken: string | undefined;
  now: () => Date;
}

type Format = 'html' | 'markdown';

// Internal pages: never cached, never indexed, never leaking their signed URL in a Referer;
// user text is escaped, and the policy refuses scripts should anything slip through.
const PRIVATE_HEADERS = {
  'Cache-Control': 'private, no-store',
  'Referrer-Policy': 'no-referrer',
  'X-Robots-Tag': 'noindex, nofollow',
  'X-Content-Type-Options': 'nosniff',
  'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
};


/**
 * `GET /incidents/:number/timeline` (HTML) and `…/timeline.md` (Markdown): one incident's
 * full internal timeline, where a chat message that had to be cut links to. Opened by a
 * signed link (`exp`, `sig`; see chat/timeline-link.ts) or `Authorization: Bearer <ADMIN_TOKEN>`;
 * anything else is 403 before the incident is even looked up, so numbers cannot be probed.
 * Language: `?lang=`, else Accept-Language, else the team's.
 */
export function registerTimelineRoute(app: App, deps: TimelineRouteDeps): void {
  const langOf = (c: Context<AppEnv>): string => pageLanguage(c, deps.languages);

  const handler = (format: Format) => async (c: Context<AppEnv>) => {
    const lang = langOf(c);
    const t = deps.i18n.t(lang);
    const raw = c.req.param('number') ?? '';
    const number = /^\d{1,9}$/.test(raw) ? Number(raw) : undefined;
    const ref = formatIncidentRef(number ?? 0);
    const answer = (status: 403 | 404, title: string, message: string) => {
      const headers = { ...PRIVATE_HEADERS, 'Content-Language': lang };
      return format === 'html'
        ? c.html(renderTimelineMessage({ lang }, title, message), status, headers)
        : c.text(`${message}\n`, status, headers);
    };

    const access = checkPageAccess(c, deps.adminToken, deps.links, number);
    if (!access.ok) {
      const message =
        access.reason === 'expired'
          ? t('manager:http.linkExpired', { time: deps.i18n.formatDateTime(access.expires, lang, deps.teamTimeZone, 'fullDateTime') })
          : t('manager:http.linkInvalid');
      return answer(403, t('manager:http.forbidden'), message);
    }
    const incidentId = number !== undefined ? await findIncidentIdByNumber(deps.db, number) : undefined;
    const incident = incidentId ? await loadSnapshot(deps.db, incidentId) : undefined;
    if (!incident) return answer(404, t('manager:http.noIncident', { ref }), t('manager:http.noIncident', { ref }));

    const ctx = { i18n: deps.i18n, lang, zone: deps.teamTimeZone, now: deps.now(), expires: access.expires };
    const headers = { ...PRIVATE_HEADERS, 'Content-Language': lang, Vary: 'Accept-Language, Authorization' };
    if (format === 'markdown') {
      return c.body(renderTimelineMarkdown(incident, ctx), 200, { ...headers, 'Content-Type': 'text/markdown; charset=utf-8' });
    }
    // The Markdown copy opens with the same signature (relative, so it works behind any host).
    const query = siblingQuery(c, access.admin, lang);
    return c.html(renderTimelineHtml(incident, { ...ctx, markdownHref: `${timelinePath(incident.number, 'markdown')}?${query}` }), 200, headers);
  };

  app.get('/incidents/:number/timeline', handler('html'));
  app.get('/incidents/:number/timeline.md', handler('markdown'));
}
