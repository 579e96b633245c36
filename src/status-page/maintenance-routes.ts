import { createHash } from 'node:crypto';
import type { Context } from 'hono';
import type { App, AppEnv } from '../http.ts';
import type { Db } from '../db/client.ts';
import type { I18n } from '../i18n.ts';
import type { SyncServerPartFactory } from '../server-part.ts';
import {
  loadComponentNames,
  loadMaintenances,
  MAINTENANCE_DOCUMENTS,
  type MaintenanceJsonContext,
  maintenanceJson,
  renderMaintenanceCalendar,
} from './maintenance.ts';
import { pageId, safeJson } from './statuspage-json.ts';

/** What the maintenance documents need from the composition root. */
export interface MaintenanceRoutesDeps {
  db: Db;
  i18n: I18n;
  languages: readonly string[];
  timeZones: Record<string, string>;
  publicUrl: string;
  now: () => Date;
}

/**
 * `/api/v2/scheduled-maintenances*.json` (Statuspage v2) and `/status/maintenance.ics`
 * (`?lang=`). Read per request: few rows, and the times in them move with the clock.
 */
export function registerMaintenanceRoutes(app: App, deps: MaintenanceRoutesDeps): void {
  const langOf = (c: Context<AppEnv>) => {
    const asked = c.req.query('lang');
    return asked && deps.languages.includes(asked) ? asked : deps.languages[0]!;
  };
  const contextFor = async (lang: string): Promise<MaintenanceJsonContext> => ({
    i18n: deps.i18n,
    lang,
    timeZone: deps.timeZones[lang] ?? 'UTC',
    publicUrl: deps.publicUrl,
    components: await loadComponentNames(deps.db),
  });
  const answer = (c: Context<AppEnv>, body: string, contentType: string, lang: string) => {
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
    const headers = { 'Cache-Control': 'public, max-age=1', 'Content-Language': lang, 'X-Content-Type-Options': 'nosniff', ETag: etag, 'Access-Control-Allow-Origin': '*' };
    if (c.req.header('if-none-match')?.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag)) return c.body(null, 304, headers);
    return c.body(body, 200, { ...headers, 'Content-Type': contentType });
  };
  for (const [doc, pick] of Object.entries(MAINTENANCE_DOCUMENTS)) {
    app.get(`/api/v2/${doc}`, async (c) => {
      const lang = langOf(c);
      const ctx = await contextFor(lang);
      const all = await loadMaintenances(deps.db, deps.now());
      const updatedAt = Math.max(0, ...all.map((m) => m.updatedAt.getTime()));
      const body = {
        page: {
          id: pageId(deps.publicUrl),
          name: deps.i18n.t(lang)('public:page.title'),
          url: `${deps.publicUrl}/status`,
          time_zone: ctx.timeZone,
          updated_at: new Date(updatedAt || deps.now().getTime()).toISOString(),
        },
        scheduled_maintenances: pick(all).map((m) => maintenanceJson(m, ctx)),
      };
      return answer(c, safeJson(body), 'application/json; charset=utf-8', lang);
    });
  }
  app.get('/status/maintenance.ics', async (c) => {
    const lang = langOf(c);
    const ctx = await contextFor(lang);
    const all = await loadMaintenances(deps.db, deps.now());
    return answer(c, renderMaintenanceCalendar(all, { ...ctx, now: deps.now() }), 'text/calendar; charset=utf-8', lang);
  });
}

/** The maintenance documents as a server part, beside the status page. */
export const maintenancePagePart: SyncServerPartFactory = ({ runtime }) => ({
  name: 'maintenance-page',
  routes: (app) =>
    registerMaintenanceRoutes(app, {
      db: runtime.database.db,
      i18n: runtime.i18n,
      languages: runtime.config.locales,
      timeZones: runtime.config.timeZones,
      publicUrl: runtime.config.publicUrl,
      now: () => runtime.app.clock.now(),
    }),
});
