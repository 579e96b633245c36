import type { WebClient } from '@slack/web-api';
import type { Db } from '../../db/client.ts';
import { findIncidentIdByNumber } from '../../db/incident-repository.ts';
import type { I18n } from '../../i18n.ts';
import type { Logger } from '../../logger.ts';
import type { NeutralMessage } from '../message.ts';
import type { ChatFile, ChatPlatform, OpenedChannel, PostOptions } from '../platform.ts';
import { postOnce } from '../sent-messages.ts';
import type { Clock } from '../../core/clock.ts';
import type { Visibility } from '../../core/model.ts';
import { renderMessage, type SlackMessage, truncate } from './blocks.ts';
import { slackChannelName } from './channel-name.ts';
import { slackErrorCode, withRateLimit } from './slack-client.ts';

/** How many `-2`, `-3`, … suffixes are tried when a channel name is taken. */
const NAME_ATTEMPTS = 20;
/** How long the bytes of one file may take to reach Slack's upload URL. */
const UPLOAD_TIMEOUT_MS = 30_000;
/** Slack's longest channel topic. */
const MAX_TOPIC = 250;

export interface SlackPlatformDeps {
  client: WebClient;
  db: Db;
  clock: Clock;
  i18n: I18n;
  logger: Logger;
  publicUrl: string;
  /** INCIDENTS_CHANNEL: a channel id (or name) where incidents are announced. */
  incidentsChannel?: string | undefined;
  /** The bot's own user id, never invited (it created the channel). */
  botUserId(): Promise<string | undefined>;
}

/**
 * Slack behind the ChatPlatform port: incident channels with invitations, topic and a
 * bookmark to the status page, Block Kit messages, a pinned header edited in place.
 */
export class SlackPlatform implements ChatPlatform {
  readonly platform = 'slack' as const;
  private readonly teamLang: string;

  constructor(private readonly deps: SlackPlatformDeps) {
    this.teamLang = deps.i18n.languages[0]!;
  }

  /** A neutral message as Block Kit; a note in `lang` (and the message's timeline link) replaces what did not fit. */
  render(message: NeutralMessage, lang = this.teamLang): SlackMessage {
    const t = this.deps.i18n.t(lang);
    return renderMessage(message, {
      truncatedNote: (count, withLink) => t(withLink ? 'slack:truncatedLink' : 'slack:truncated', { count }),
      moreUrl: message.fullTimelineUrl,
    });
  }

  async openIncidentChannel(input: { number: number; title: string; slug: string; inviteUserIds: string[]; topic: string; visibility: Visibility }): Promise<OpenedChannel> {
    const { client, logger } = this.deps;
    const channel = await this.createChannel(input.slug, input.visibility === 'private');
    const bot = await this.deps.botUserId();
    const users = [...new Set(input.inviteUserIds)].filter((u) => u !== bot);
    // Each step after creation is best effort: the channel exists and the incident must go on.
    if (users.length) await this.invite(channel.id, users);
    await this.step('conversations.setTopic', () => client.conversations.setTopic({ channel: channel.id, topic: truncate(input.topic, MAX_TOPIC) }));
    const incidentId = await findIncidentIdByNumber(this.deps.db, input.number);
    if (incidentId) {
      const t = this.deps.i18n.t(this.teamLang);
      await this.step('bookmarks.add', () =>
        client.bookmarks.add({ channel_id: channel.id, type: 'link', title: t('slack:bookmark'), link: this.statusPageUrl(incidentId) }),
      );
    } else {
      logger.warn({ number: input.number }, 'no incident for the bookmark');
    }
    return { channelId: channel.id, name: channel.name, ...(channel.teamId ? { teamId: channel.teamId } : {}) };
  }

  /** The hosted status page of one incident. */
  statusPageUrl(incidentId: string): string {
    return `${this.deps.publicUrl}/status/incidents/${incidentId}`;
  }

  /** Invites people; those already in, deactivated or unknown are skipped, never failing the rest. */
  async invite(channelId: string, users: string[]): Promise<void> {
    try {
      await withRateLimit(() => this.deps.client.conversations.invite({ channel: channelId, users: users.join(',') }));
    } catch (e) {
      const code = slackErrorCode(e);
      if (code === 'already_in_channel' || code === 'cant_invite_self') return;
      this.deps.logger.warn({ err: e, channelId, code }, 'conversations.invite failed');
    }
  }

  private async createChannel(slug: string, isPrivate: boolean): Promise<{ id: string; name: string; teamId?: string }> {
    for (let attempt = 1; ; attempt++) {
      const name = slackChannelName(slug, attempt);
      try {
        const res = await withRateLimit(() => this.deps.client.conversations.create({ name, ...(isPrivate ? { is_private: true } : {}) }));
        const channel = res.channel as { id: string; context_team_id?: string } | undefined;
        if (!channel?.id) throw new Error('conversations.create returned no channel');
        return { id: channel.id, name, ...(channel.context_team_id ? { teamId: channel.context_team_id } : {}) };
      } catch (e) {
        if (slackErrorCode(e) !== 'name_taken' || attempt >= NAME_ATTEMPTS) throw e;
      }
    }
  }

  private async step(what: string, call: () => Promise<unknown>): Promise<void> {
    try {
      await withRateLimit(call);
    } catch (e) {
      this.deps.logger.warn({ err: e, call: what, code: slackErrorCode(e) }, 'slack call failed');
    }
  }

  /** Posts a message (rendered in `lang`, the team's language by default); keyed posts are sent once. */
  async post(channelId: string, message: NeutralMessage, options: PostOptions = {}, lang = this.teamLang): Promise<string> {
    const send = async () => (await withRateLimit(() => this.deps.client.chat.postMessage({ channel: channelId, ...this.render(message, lang) }))).ts!;
    return options.key ? postOnce(this.deps.db, this.deps.clock, { key: options.key, platform: 'slack', channelId }, send) : send();
  }

  async update(channelId: string, messageId: string, message: NeutralMessage): Promise<void> {
    await withRateLimit(() => this.deps.client.chat.update({ channel: channelId, ts: messageId, ...this.render(message) }));
  }

  async upsertHeader(channelId: string, messageId: string | undefined, message: NeutralMessage): Promise<string> {
    if (messageId) {
      try {
        await this.update(channelId, messageId, message);
        return messageId;
      } catch (e) {
        // Deleted by someone: post a new one (and pin it) rather than lose the header.
        if (slackErrorCode(e) !== 'message_not_found') throw e;
      }
    }
    const ts = await this.post(channelId, message);
    await this.step('pins.add', () => this.deps.client.pins.add({ channel: channelId, timestamp: ts }));
    return ts;
  }

  async announce(message: NeutralMessage, options: PostOptions = {}): Promise<void> {
    if (!this.deps.incidentsChannel) return;
    await this.post(this.deps.incidentsChannel, message, options);
  }

  /**
   * Shares a file the way Slack takes files since `files.upload` was retired (2025-11-12):
   * `files.getUploadURLExternal` (name and byte length) → POST of the bytes to the returned
   * upload URL → `files.completeUploadExternal` sharing it in the channel.
   */
  async uploadFile(channelId: string, file: ChatFile): Promise<void> {
    const { client } = this.deps;
    const bytes = Buffer.from(file.content, 'utf8');
    const started = await withRateLimit(() => client.files.getUploadURLExternal({ filename: file.filename, length: bytes.length, snippet_type: 'markdown' }));
    if (!started.upload_url || !started.file_id) throw new Error('files.getUploadURLExternal returned no upload_url');
    const res = await fetch(started.upload_url, {
      method: 'POST',
      headers: { 'Content-Type': `${file.mimeType}; charset=utf-8` },
      body: bytes,
      signal: AbortSignal.timeout(UPLOAD_TIMEOUT_MS),
    });
    await res.body?.cancel().catch(() => undefined);
    if (!res.ok) throw new Error(`the Slack upload URL answered ${res.status}`);
    await withRateLimit(() => client.files.completeUploadExternal({ files: [{ id: started.file_id!, title: file.title }], channel_id: channelId }));
  }
}
