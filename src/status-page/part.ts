import type { SyncServerPartFactory } from '../server-part.ts';
import { componentGroups, readComponentsFile } from '../app/components.ts';
import { createEmailChannel } from '../publish/email.ts';
import { createStatusPage } from './routes.ts';

/**
 * The hosted status page as a server part: its routes, and the change watcher that
 * invalidates the render cache (LISTEN/NOTIFY plus a fingerprint poll). The double opt-in
 * mail goes out through the publishing email target, so both kinds of mail look alike.
 */
export const statusPagePart: SyncServerPartFactory = ({ runtime, logger }) => {
  const { config } = runtime;
  const email =
    config.smtp.url && config.smtp.from
      ? createEmailChannel({ smtpUrl: config.smtp.url, from: config.smtp.from, publicUrl: config.publicUrl, i18n: runtime.i18n, maxConnections: 1 })
      : undefined;
  if (email && !config.publicUrl.startsWith('https://')) {
    // RFC 8058: a List-Unsubscribe-Post one-click link must be https; mail clients ignore an http one.
    logger.warn({ publicUrl: config.publicUrl }, 'PUBLIC_URL is not https: subscription mail links are http and one-click unsubscribe (RFC 8058) will not work');
  }
  // Validated at start-up (openRuntime); read again here for the groups the page shows.
  const groups = config.componentsFile ? componentGroups(readComponentsFile(config.componentsFile)) : [];
  const page = createStatusPage({
    db: runtime.database.db,
    i18n: runtime.i18n,
    languages: config.locales,
    timeZones: config.timeZones,
    publicUrl: config.publicUrl,
    now: () => runtime.app.clock.now(),
    trustProxyHops: config.trustProxyHops,
    groups,
    sendConfirmation: email && ((subscriber, confirmUrl) => email.sendConfirmation(subscriber, confirmUrl)),
    onError: (err) => logger.warn({ err }, 'status page: change watcher'),
  });
  return {
    name: 'status-page',
    routes: page.routes,
    fastPath: page.fastPath,
    start: page.start,
    stop: async () => {
      await page.stop();
      await email?.close?.();
    },
  };
};
