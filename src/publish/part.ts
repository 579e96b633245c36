import { runTranslateJob, TRANSLATE_PUBLIC_UPDATE_JOB } from '../app/translate-public-update.ts';
import { disableSubscriber } from '../app/unsubscribe.ts';
import { type ChatPlatforms, chatPlatformsOf } from '../chat/platforms.ts';
import type { ServerPart, ServerPartDeps, SyncServerPartFactory } from '../server-part.ts';
import { createDeliveryWorker, type DeliveryWorker, type DeliveryWorkerOptions } from '../outbox/delivery-worker.ts';
import type { DeliveryReporter } from '../outbox/progress.ts';
import { listenForWork } from '../outbox/wakeup.ts';
import type { Runtime } from '../runtime.ts';
import { type AnnouncementPort, createAnnounceChannel, createChatChannel } from './announce.ts';
import { languageName, type PublishChannel, type TargetName, TerminalDeliveryError } from './channel.ts';
import { createChatReporter } from './chat-reporter.ts';
import { createEmailChannel, type EmailChannel } from './email.ts';
import { registerMaintenanceNotices } from './maintenance-notices.ts';
import { createStatuspageChannel, type StatuspageChannel } from './statuspage.ts';
import { createWebhookChannel, type WebhookChannel } from './webhook.ts';

/** The targets by name; email, webhook and Statuspage also carry maintenance notices. */
export type ConfiguredChannels = Partial<Record<TargetName, PublishChannel>> & { email?: EmailChannel; webhook: WebhookChannel; statuspage?: StatuspageChannel };

/** The targets the settings configure: webhooks always, email with SMTP_URL, Statuspage with its key, chat with a port. */
export function createConfiguredChannels(runtime: Runtime, chat?: AnnouncementPort): ConfiguredChannels {
  const { config, i18n, app } = runtime;
  const lang = config.locales[0]!;
  const channels: ConfiguredChannels = {
    webhook: createWebhookChannel({
      clock: app.clock,
      publicUrl: config.publicUrl,
      // 410 Gone: unconfirmed, so its queued and future deliveries are skipped as unsubscribed.
      onGone: (recipient) => disableSubscriber(app.db, recipient.id, app.clock.now()),
    }),
  };
  if (config.smtp.url && config.smtp.from) channels.email = createEmailChannel({ smtpUrl: config.smtp.url, from: config.smtp.from, publicUrl: config.publicUrl, i18n });
  if (config.statuspage.apiKey && config.statuspage.pageId) {
    channels.statuspage = createStatuspageChannel({
      apiKey: config.statuspage.apiKey,
      pageId: config.statuspage.pageId,
      ...(config.statuspage.apiUrl ? { apiUrl: config.statuspage.apiUrl } : {}),
      lang,
      untranslatedNotice: (sourceLang) => i18n.t(lang)('email:untranslated', { language: languageName(sourceLang, lang) }),
      db: app.db,
      dbKind: runtime.database.kind,
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
 * The chat targets over the runtime's registered platforms, looked up at delivery time:
 * `announce` goes to every platform's incidents channel, `chat` to the platform the
 * subscriber subscribed on (`slack`, `teams`).
 */
export function createRegistryChannels(platforms: ChatPlatforms, runtime: Runtime): { announce: PublishChannel; chat: PublishChannel } {
  const { config, i18n } = runtime;
  const announce = createAnnounceChannel({ announce: (m, o) => platforms.announce(m, o), post: () => Promise.reject(new Error('announce only')) }, i18n, config.locales[0]!, config.teamTimeZone);
  const chat: PublishChannel = {
    target: 'chat',
    async deliver(item) {
      const kind = item.recipient?.kind ?? '';
      const platform = platforms.get(kind);
      if (!platform) throw new TerminalDeliveryError(`no ${kind || 'chat'} platform configured`);
      await createChatChannel(platform, i18n).deliver(item);
    },
  };
  return { announce, chat };
}

/**
 * The delivery worker as a server part: every process runs one against the shared queue,
 * and runs the `translate.public_update` jobs publishing enqueues (when a translator is
 * configured), whose translations release the deliveries waiting for them, and the
 * `maintenance.notice` jobs that tell email and webhook subscribers of a maintenance.
 * Chat targets and progress reports go through the platforms registered on the runtime
 * (`runtime.chat`) when it delivers; while none is registered chat targets are skipped and
 * progress goes to the log. `chat` and `reporter` override them (tests).
 */
export function createPublishingPart(
  deps: ServerPartDeps,
  options: { chat?: AnnouncementPort; reporter?: DeliveryReporter; worker?: Pick<DeliveryWorkerOptions, 'batchSize' | 'progressEveryMs' | 'intervalMs'> } = {},
): ServerPart & { worker: DeliveryWorker } {
  const { runtime, logger } = deps;
  const channels = createConfiguredChannels(runtime, options.chat);
  const log = logger.child({ part: 'publishing' });
  const platforms = chatPlatformsOf(runtime);
  if (!options.chat) {
    // Getters: the worker reads its channels per delivery, so parts registering later still count.
    const fromRegistry = createRegistryChannels(platforms, runtime);
    for (const target of ['announce', 'chat'] as const) {
      Object.defineProperty(channels, target, { enumerable: true, get: () => (platforms.all().length > 0 ? fromRegistry[target] : undefined) });
    }
  }
  const worker = createDeliveryWorker({
    db: runtime.app.db,
    clock: runtime.app.clock,
    channels,
    reporter: options.reporter ?? createChatReporter({ db: runtime.app.db, platforms, i18n: runtime.i18n, lang: runtime.config.locales[0]!, logger: log }),
    onError: (e) => log.error({ err: e }, 'delivery worker error'),
    languages: runtime.app.settings.locales,
    ...options.worker,
  });
  const translating = Boolean(runtime.app.translator);
  if (translating) runtime.jobs.register(TRANSLATE_PUBLIC_UPDATE_JOB, (payload) => runTranslateJob(runtime.app, payload));
  // Maintenance notices go out through the same email transport and webhook signer as updates.
  const lang = runtime.config.locales[0]!;
  registerMaintenanceNotices(runtime.jobs, {
    db: runtime.app.db,
    clock: runtime.app.clock,
    i18n: runtime.i18n,
    publicUrl: runtime.config.publicUrl,
    email: channels.email,
    webhook: channels.webhook,
    statuspage: channels.statuspage && { channel: channels.statuspage, lang, timeZone: runtime.config.timeZones[lang] ?? 'UTC' },
    chat: options.chat ? { get: () => options.chat } : platforms,
  });
  let unlisten: (() => Promise<void>) | undefined;
  return {
    name: 'publishing',
    worker,
    async start() {
      worker.start();
      // Every process's worker wakes when any of them publishes, instead of at its next poll.
      unlisten = await listenForWork(runtime.database, 'delivery', () => worker.kick(), log);
      runtime.jobs.start();
    },
    async stop() {
      await unlisten?.().catch(() => undefined);
      await runtime.jobs.stop();
      await worker.stop();
      for (const channel of Object.values(channels)) await channel?.close?.();
    },
  };
}

export const publishingPart: SyncServerPartFactory = (deps) => createPublishingPart(deps);
