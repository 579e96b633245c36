import { createHash } from 'node:crypto';
import type { Context } from 'hono';
import type { App, AppEnv } from '../http.ts';
import type { Db } from '../db/client.ts';
import type { I18n } from '../i18n.ts';
import type { SyncServerPartFactory } from '../server-part.ts';
import { loadComponentNames, loadMaintenances, renderMaintenanceCalendar } from './maintenance.ts';

/** What the maintenance calendar needs from the composition root. */
export interface MaintenanceRoutesDeps {
  db: Db;
  i18n: I18n;
  languages: readonly string[];
  timeZones: Record<string, string>;
  publicUrl: string;
  now: () => Date;
}

/**
 * `/status/maintenance.ics` (`?lang=`), read per request: few rows. The Statuspage-v2
 * `scheduled-maintenances*.json` documents are the status page's, rendered once per change.
 */
export function registerMaintenanceRoutes(app: App, deps: MaintenanceRoutesDeps): void {
  const langOf = (c: Context<AppEnv>) => {
    const asked = c.req.query('lang');
    return asked && deps.languages.includes(asked) ? asked : deps.languages[0]!;
  };
  app.get('/status/maintenance.ics', async (c) => {
    const lang = langOf(c);
    const ctx = { i18n: deps.i18n, lang, timeZone: deps.timeZones[lang] ?? 'UTC', publicUrl: deps.publicUrl, components: await loadComponentNames(deps.db) };
    const body = renderMaintenanceCalendar(await loadMaintenances(deps.db, deps.now()), { ...ctx, now: deps.now() });
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
    const headers = { 'Cache-Control': 'public, max-age=1', 'Content-Language': lang, 'X-Content-Type-Options': 'nosniff', ETag: etag, 'Access-Control-Allow-Origin': '*' };
    if (c.req.header('if-none-match')?.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag)) return c.body(null, 304, headers);
    return c.body(body, 200, { ...headers, 'Content-Type': 'text/calendar; charset=utf-8' });
  });
}

/** The maintenance calendar as a server part, beside the status page. */
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
