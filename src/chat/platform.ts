import type { Platform } from '../core/model.ts';
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
 * Everything the dispatcher may ask of a chat platform. Platform-only features (pins,
 * bookmarks, Graph channels) live inside each adapter behind these methods.
 */
export interface ChatPlatform {
  readonly platform: Platform;
  /** Opens `inc-<n>-<slug>` (or the platform's equivalent) and brings the given people in. */
  openIncidentChannel(input: { number: number; title: string; slug: string; inviteUserIds: string[]; topic: string }): Promise<OpenedChannel>;
  /** Posts to a channel and returns the message id. */
  post(channelId: string, message: NeutralMessage): Promise<string>;
  /** Edits a message in place. */
  update(channelId: string, messageId: string, message: NeutralMessage): Promise<void>;
  /** Posts the live header (pinned where the platform can) or edits it in place; returns its id. */
  upsertHeader(channelId: string, messageId: string | undefined, message: NeutralMessage): Promise<string>;
  /** Posts in the incidents channel (INCIDENTS_CHANNEL), where one is configured. */
  announce(message: NeutralMessage): Promise<void>;
}
