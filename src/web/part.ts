import type { ServerPart, SyncServerPartFactory } from '../server-part.ts';
import { webSessionKey } from './auth.ts';
import type { WebDeps } from './context.ts';
import { registerWebRoutes } from './routes.ts';

// Every .tsx file here starts with `@jsxRuntime automatic @jsxImportSource hono/jsx`: tsx reads
// tsconfig.json from the working directory, so `tsuiki serve` started elsewhere would otherwise
// compile JSX for React.

/** The path `npm start` prints for the web app. */
export function webAppUrl(statusPageUrl: string): string {
  return statusPageUrl.replace(/\/status$/, '/app/');
}

/**
 * The web app at /app: responders', comms leads' and managers' pages, server-rendered and
 * usable without JavaScript. Always built; without a secret to sign cookies with, its sign-in
 * page says which setting is missing.
 */
export const webAppPart: SyncServerPartFactory = (deps): ServerPart => {
  const { runtime } = deps;
  const web: WebDeps = { runtime, key: webSessionKey(runtime.config), secure: runtime.config.publicUrl.startsWith('https:') };
  if (!web.key) deps.logger.warn('web app: set WEB_SESSION_SECRET (or SLACK_SIGNING_SECRET or ADMIN_TOKEN) to sign people in');
  return { name: 'web-app', routes: (app) => registerWebRoutes(app, web) };
};
