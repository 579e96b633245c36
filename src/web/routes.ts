import { bodyLimit } from 'hono/body-limit';
import type { App } from '../http.ts';
import type { WebDeps } from './context.ts';
import { registerAuthRoutes } from './routes/auth.tsx';
import { registerIncidentRoutes } from './routes/incident.tsx';
import { registerIncidentListRoute } from './routes/incidents.tsx';
import { registerAssetRoutes } from './routes/assets.ts';
import { registerPostmortemRoutes } from './routes/postmortem.tsx';
import { registerMetricsRoutes } from './routes/metrics.tsx';
import { registerSubscriberRoutes } from './routes/subscribers.tsx';
import { registerMaintenanceRoutes } from './routes/maintenance.tsx';

/** Every route of the web app under /app. */
export function registerWebRoutes(app: App, deps: WebDeps): void {
  // The largest form is a subscriber CSV (5 MB); nothing bigger is read into memory.
  app.use('/app/*', bodyLimit({ maxSize: 6 * 1024 * 1024, onError: (c) => c.text('413 Payload Too Large\n', 413) }));
  registerAuthRoutes(app, deps);
  registerIncidentListRoute(app, deps);
  registerIncidentRoutes(app, deps);
  registerPostmortemRoutes(app, deps);
  registerMetricsRoutes(app, deps);
  registerSubscriberRoutes(app, deps);
  registerMaintenanceRoutes(app, deps);
  registerAssetRoutes(app);
}
