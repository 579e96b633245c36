import type { NeutralMessage } from '../chat/message.ts';
import type { PostOptions } from '../chat/platform.ts';
import type { I18n } from '../i18n.ts';
import { bodyWithNotice, componentImpacts, type DeliveryItem, type PublishChannel, type PublishedUpdate, TerminalDeliveryError } from './channel.ts';

/**
 * What the chat targets need of a platform: the `announce` and `post` of `ChatPlatform`,
 * so a Slack or Teams adapter is passed as is. Errors it throws are retried unless they
 * are `TerminalDeliveryError`s.
 */
export interface AnnouncementPort {
  /** Posts in the announcement (incidents) channel. */
  announce(message: NeutralMessage, options?: PostOptions): Promise<void>;
  /** Posts in a channel by id (customer-shared channels subscribed as `slack`/`teams`). */
  post(channelId: string, message: NeutralMessage, options?: PostOptions): Promise<string>;
}

/**
 * The update as a chat message in one language and zone. Untranslated, the source text
 * goes under a notice naming its language; a follow-up post carries the translation.
 */
export function renderChatUpdate(update: PublishedUpdate, i18n: I18n, lang: string, zone: string, followUp?: DeliveryItem['followUp']): NeutralMessage {
  const tr = i18n.t(lang);
  const status = tr(`common:status.${update.status}`);
  const updateTitle = tr('email:chat.title', { ref: `INC-${update.incidentNumber}`, title: update.incidentTitle, status });
  const title = followUp ? tr('email:translated.subject', { subject: updateTitle }) : updateTitle;
  const time = i18n.formatDateTime(update.publishedAt, lang, zone);
  const { body, notice } = bodyWithNotice(update, lang, tr, followUp);
  const components = componentImpacts(update, lang, tr);
  return {
    text: `${title}: ${notice ? `${notice} ` : ''}${body}`,
    title,
    lines: [
      tr('email:postedAt', { time }),
      ...(notice ? [notice] : []),
      body,
      ...(components.length ? [tr('email:components', { list: i18n.formatList(components, lang) })] : []),
    ],
  };
}

/** `announce`: the team's announcement channel, in the team's language and zone. */
export function createAnnounceChannel(port: AnnouncementPort, i18n: I18n, lang: string, zone: string): PublishChannel {
  return {
    target: 'announce',
    deliver: (item: DeliveryItem) => port.announce(renderChatUpdate(item.update, i18n, lang, zone, item.followUp), { delivery: { key: item.idempotencyKey } }),
  };
}

/** `chat`: a subscribed Slack/Teams channel, in its subscriber's language and zone. */
export function createChatChannel(port: AnnouncementPort, i18n: I18n): PublishChannel {
  return {
    target: 'chat',
    async deliver(item: DeliveryItem) {
      const r = item.recipient;
      if (!r) throw new TerminalDeliveryError('chat delivery without a subscriber');
      await port.post(r.address, renderChatUpdate(item.update, i18n, i18n.pick(r.lang), r.timeZone, item.followUp), { delivery: { key: item.idempotencyKey } });
    },
  };
}
