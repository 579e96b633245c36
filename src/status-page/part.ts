import type { ServerPartFactory } from '../main.ts';
import { smtpConfirmationSender } from './confirmation-mail.ts';
import { createStatusPage } from './routes.ts';

/**
 * The hosted status page as a server part: its routes, and the change watcher that
 * invalidates the render cache (LISTEN/NOTIFY plus a fingerprint poll).
 */
export const statusPagePart: ServerPartFactory = ({ runtime, logger }) => {
  const { config } = runtime;
  const page = createStatusPage({
    db: runtime.database.db,
    i18n: runtime.i18n,
    languages: config.locales,
    timeZones: config.timeZones,
    publicUrl: config.publicUrl,
    now: () => runtime.app.clock.now(),
    sendConfirmation:
      config.smtp.url && config.smtp.from
        ? smtpConfirmationSender({ smtpUrl: config.smtp.url, from: config.smtp.from, i18n: runtime.i18n })
        : undefined,
    onError: (err) => logger.warn({ err }, 'status page: change watcher'),
  });
  return { name: 'status-page', routes: page.routes, start: page.start, stop: page.stop };
};
