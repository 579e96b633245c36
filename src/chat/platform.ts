import type { Platform, Visibility } from '../core/model.ts';
import type { NeutralMessage } from './message.ts';

/** A newly opened incident channel as the platform identifies it. */
export interface OpenedChannel {
  channelId: string;
  /** The name it got, when the platform had to change the asked-for one (e.g. `inc-7-api-2` on a clash). */
  name?: string;
  teamId?: string;
  /** Whatever the platform needs to post there later (Teams: a ConversationReference). */
  conversationRef?: Record<string, unknown>;
}

/**
 * How a post is made. `key` names the post for good: work that runs again (a stored request
 * processed after a crash) posts nothing the second time. Platforms whose posts are already
 * written in the command's transaction (Teams' queue) may ignore it.
 */
export interface PostOptions {
  key?: string | undefined;
  /**
   * The post is a publishing delivery (`key` is the delivery's idempotency key): a platform that
   * queues its posts (Teams) resolves only once the message is really sent, and throws when it
   * was refused for good, so the fan-out summary counts what people got. Others may ignore it.
   */
  delivery?: { key: string } | undefined;
}

/** A text file to share in a channel (the postmortem draft as Markdown, one per language). */
export interface ChatFile {
  /** The file's name, e.g. `INC-1-postmortem.en.md`. */
  filename: string;
  /** Its title as the platform shows it (localized). */
  title: string;
  /** UTF-8 text. */
  content: string;
  mimeType: 'text/markdown';
  /** The language it is written in. */
  lang: string;
}

/**
 * Everything the dispatcher may ask of a chat platform. Platform-only features (pins,
 * bookmarks, Graph channels) live inside each adapter behind these methods.
 */
export interface ChatPlatform {
  readonly platform: Platform;
  /** Opens `inc-<n>-<slug>` (or the platform's equivalent) and brings the given people in; a private incident gets a private place. */
  openIncidentChannel(input: { number: number; title: string; slug: string; inviteUserIds: string[]; topic: string; visibility: Visibility }): Promise<OpenedChannel>;
  /** Posts to a channel and returns the message id; with a key, a second post under it sends nothing (see sent-messages.ts). */
  post(channelId: string, message: NeutralMessage, options?: PostOptions): Promise<string>;
  /** Edits a message in place. */
  update(channelId: string, messageId: string, message: NeutralMessage): Promise<void>;
  /** Posts the live header (pinned where the platform can) or edits it in place; returns its id. */
  upsertHeader(channelId: string, messageId: string | undefined, message: NeutralMessage): Promise<string>;
  /** Posts in the incidents channel (INCIDENTS_CHANNEL), where one is configured; a key as for `post`. */
  announce(message: NeutralMessage, options?: PostOptions): Promise<void>;
  /**
   * Shares a file in a channel (Slack: the external upload flow; the console: a file on disk).
   * Absent where the platform shares none (Teams: the message's links stand for the file).
   */
  uploadFile?(channelId: string, file: ChatFile): Promise<void>;
}
