/**
 * The platform-neutral message every front end renders: Slack as Block Kit, Teams as an
 * Adaptive Card, the console as text. All strings are already localized and are plain
 * text: each adapter escapes them for its own markup.
 */
export interface NeutralMessage {
  /** Notification and fallback text; also what a text-only front end prints first. */
  text: string;
  title?: string;
  /** Paragraphs of plain text. */
  lines?: string[];
  fields?: { label: string; value: string }[];
  actions?: MessageAction[];
  /**
   * The incident's full timeline (a signed, expiring link): where a platform that has to cut
   * this message sends the reader for the rest.
   */
  fullTimelineUrl?: string;
  /** Links to open (a signed postmortem page per language): Slack mrkdwn links, Teams Action.OpenUrl, printed by the console. */
  links?: MessageLink[];
}

/** A labelled URL shown with a message. */
export interface MessageLink {
  label: string;
  url: string;
}

/** A button; `value` comes back to the dispatcher when it is pressed. */
export interface MessageAction {
  id: 'publish_update' | 'edit_translation' | 'cancel_update' | 'retry_translation' | 'resolve_incident';
  label: string;
  value: string;
  style?: 'primary' | 'danger';
}

/** Where a reply goes: only to the person who asked, or to everyone in the channel. */
export interface Reply {
  visibility: 'ephemeral' | 'channel';
  message: NeutralMessage;
}

/** Plain-text rendering shared by text-only front ends and notification fallbacks. */
export function messageToText(message: NeutralMessage): string {
  const parts: string[] = [];
  if (message.title) parts.push(message.title);
  if (message.lines?.length) parts.push(...message.lines);
  if (message.fields?.length) parts.push(...message.fields.map((f) => `${f.label}: ${f.value}`));
  if (message.actions?.length) parts.push(message.actions.map((a) => `[${a.label}]`).join(' '));
  if (message.links?.length) parts.push(...message.links.map((l) => `${l.label}: ${l.url}`));
  return parts.length ? parts.join('\n') : message.text;
}

/** What a front end gets back for one command or button press. */
export interface DispatchResult {
  replies: Reply[];
  /** The platform should open this form instead of (or besides) replying. */
  openForm?: { kind: 'declare' } | { kind: 'edit_translation'; updateId: string };
  incidentId?: string;
  /** Set when this command declared the incident (a front end may follow into its channel). */
  declared?: { channelId: string };
  /**
   * With `deferTranslation`: the preview whose machine translation the front end runs after its
   * answer; `postedAs` is the message id `platform.post` returned when the preview went to the
   * incident's channel (absent when it is one of `replies`).
   */
  translationPending?: { updateId: string; postedAs?: { channelId: string; messageId: string } };
}
