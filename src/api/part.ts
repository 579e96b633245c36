import { readFileSync } from 'node:fs';
import { chatPlatformsOf } from '../chat/platforms.ts';
import { postmortemLinksFor } from '../chat/postmortem-link.ts';
import { timelineLinksFor } from '../chat/timeline-link.ts';
import type { ServerPart, ServerPartDeps, SyncServerPartFactory } from '../server-part.ts';
import { openApiDocument } from './openapi.ts';
import { type ApiAnswer, route, type RouteSpec } from './route.ts';
import { apiRoutes, COMMON_RESPONSES } from './routes.ts';
import { registerRoutes } from './serve.ts';

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

/** The routes of /api/v1, the OpenAPI document among them, over a runtime. */
export function apiRouteSpecs(deps: ServerPartDeps): RouteSpec[] {
  const { runtime } = deps;
  const routes = apiRoutes({
    app: runtime.app,
    i18n: runtime.i18n,
    logger: deps.logger.child({ part: 'api' }),
    platforms: () => chatPlatformsOf(runtime).all(),
    timelineLinks: timelineLinksFor(runtime),
    postmortemLinks: postmortemLinksFor(runtime),
    metrics: deps.metrics,
  });
  const openapi: RouteSpec = route({
    method: 'get',
    path: '/openapi.json',
    operationId: 'getOpenApiDocument',
    summary: 'This document',
    authenticated: false,
    responses: { 200: { description: 'The OpenAPI 3.1 document of /api/v1.' } },
    // Built once, on first request: it only changes with the code.
    handle: async (): Promise<ApiAnswer> => ({ status: 200, json: (document ??= openApiDocument(all, { version, serverUrl: runtime.config.publicUrl, common: COMMON_RESPONSES })) }),
  });
  let document: Record<string, unknown> | undefined;
  const all: RouteSpec[] = [...routes, openapi];
  return all;
}

/** The REST API as a server part: /api/v1 for tokens from `tsuiki tokens create`. */
export const apiServerPart: SyncServerPartFactory = (deps): ServerPart => {
  const { runtime } = deps;
  const routes = apiRouteSpecs(deps);
  return {
    name: 'api',
    routes(http) {
      registerRoutes(http, routes, {
        db: runtime.app.db,
        i18n: runtime.i18n,
        logger: deps.logger.child({ part: 'api' }),
        languages: runtime.config.locales,
        now: () => runtime.app.clock.now(),
        zone: runtime.config.teamTimeZone,
      });
    },
  };
};
