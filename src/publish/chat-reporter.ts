import type { ChatPlatforms } from '../chat/platforms.ts';
import type { Db } from '../db/client.ts';
import { findIncidentChatRef } from '../db/incident-repository.ts';
import type { I18n } from '../i18n.ts';
import type { Logger } from '../logger.ts';
import { type DeliveryProgress, type DeliveryReporter, renderProgress } from '../outbox/progress.ts';

/** The progress message's id on each platform, kept as JSON in `delivery_progress.message_ref`. */
type MessageIds = Record<string, string>;

function parseRef(ref: string | undefined): MessageIds {
  if (!ref?.startsWith('{')) return {};
  try {
    const parsed = JSON.parse(ref) as unknown;
    return parsed && typeof parsed === 'object' ? (parsed as MessageIds) : {};
  } catch {
    return {};
  }
}

export interface ChatReporterDeps {
  db: Db;
  platforms: ChatPlatforms;
  i18n: I18n;
  /** The team's language. */
  lang: string;
  logger: Logger;
}

/**
 * Reports a fan-out in the incident channel of every registered platform: the progress
 * message is posted once and edited in place (`email 3,200/10,000 · webhooks …`); when
 * nothing is left to try it is edited to its final counts and the final summary, failures
 * listed, is posted as a new message so the channel is notified. A fan-out that finishes in
 * its first report gets the summary only. Without an incident channel anywhere the report
 * goes to the log.
 */
export function createChatReporter(deps: ChatReporterDeps): DeliveryReporter {
  const { db, platforms, i18n, lang, logger } = deps;
  return {
    async progress(progress: DeliveryProgress, messageRef: string | undefined) {
      const ids = parseRef(messageRef);
      const message = renderProgress(progress, i18n, lang);
      // The edited message keeps only the counts; the failures go in the summary below it.
      const counts = progress.final ? renderProgress({ ...progress, failures: [], failureCount: 0 }, i18n, lang) : message;
      let reached = false;
      for (const platform of platforms.all()) {
        const name = platform.platform;
        const chatRef = await findIncidentChatRef(db, progress.incidentId, name);
        if (!chatRef) continue;
        reached = true;
        const known = ids[name];
        try {
          if (known) {
            await platform.update(chatRef.channelId, known, counts);
            if (progress.final) await platform.post(chatRef.channelId, message);
          } else {
            ids[name] = await platform.post(chatRef.channelId, message);
          }
        } catch (e) {
          // Progress is a courtesy: a failed post must not hold up or repeat deliveries.
          logger.warn({ err: e, platform: name, updateId: progress.updateId }, 'could not report delivery progress');
        }
      }
      if (!reached) {
        logger.info({ incidentId: progress.incidentId, updateId: progress.updateId, final: progress.final }, [message.title, ...(message.lines ?? [])].join('\n'));
        return messageRef ?? `log:${progress.updateId}`;
      }
      return JSON.stringify(ids);
    },
  };
}
