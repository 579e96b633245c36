import type { ServerPart, ServerPartFactory } from '../main.ts';
import { createDeliveryWorker } from '../outbox/delivery-worker.ts';
import { createLogReporter, type DeliveryReporter } from '../outbox/progress.ts';
import type { Runtime } from '../runtime.ts';
import { type AnnouncementPort, createAnnounceChannel, createChatChannel } from './announce.ts';
import type { PublishChannel, TargetName } from './channel.ts';
import { createEmailChannel } from './email.ts';
import { createStatuspageChannel } from './statuspage.ts';
import { createWebhookChannel } from './webhook.ts';

/** The targets the settings configure: webhooks always, email with SMTP_URL, Statuspage with its key, chat with a port. */
export function createConfiguredChannels(runtime: Runtime, chat?: AnnouncementPort): Partial<Record<TargetName, PublishChannel>> {
  const { config, i18n, app } = runtime;
  const lang = config.locales[0]!;
  const channels: Partial<Record<TargetName, PublishChannel>> = {
    webhook: createWebhookChannel({ clock: app.clock, publicUrl: config.publicUrl }),
  };
  if (config.smtp.url && config.smtp.from) channels.email = createEmailChannel({ smtpUrl: config.smtp.url, from: config.smtp.from, publicUrl: config.publicUrl, i18n });
  if (config.statuspage.apiKey && config.statuspage.pageId) {
    channels.statuspage = createStatuspageChannel({
      apiKey: config.statuspage.apiKey,
      pageId: config.statuspage.pageId,
      ...(config.statuspage.apiUrl ? { apiUrl: config.statuspage.apiUrl } : {}),
      lang,
      db: app.db,
      clock: app.clock,
    });
  }
  if (chat) {
    channels.announce = createAnnounceChannel(chat, i18n, lang, config.teamTimeZone);
    channels.chat = createChatChannel(chat, i18n);
  }
  return channels;
}

/**
 * The delivery worker as a server part: every process runs one against the shared queue.
 * `chat` and `reporter` come from a chat adapter when one is wired; otherwise chat targets
 * are skipped and progress goes to the log.
 */
export function createPublishingPart(deps: Parameters<ServerPartFactory>[0], options: { chat?: AnnouncementPort; reporter?: DeliveryReporter } = {}): ServerPart {
  const { runtime, logger } = deps;
  const channels = createConfiguredChannels(runtime, options.chat);
  const log = logger.child({ part: 'publishing' });
  const worker = createDeliveryWorker({
    db: runtime.app.db,
    clock: runtime.app.clock,
    channels,
    reporter: options.reporter ?? createLogReporter(log, runtime.i18n, runtime.config.locales[0]!),
    onError: (e) => log.error({ err: e }, 'delivery worker error'),
  });
  return {
    name: 'publishing',
    async start() {
      worker.start();
    },
    async stop() {
      await worker.stop();
      for (const channel of Object.values(channels)) await channel.close?.();
    },
  };
}

export const publishingPart: ServerPartFactory = (deps) => createPublishingPart(deps);
