import { randomUUID } from 'node:crypto';
import { recorded } from './harness.ts';

type Activity = ReturnType<typeof recorded>;

/** The channel of the recorded @mention (specs/teams/vercel-chat-replay/teams.json). */
export const TEAMS_CHANNEL = '19:d441d38c655c47a085215b2726e76927@thread.tacv2';

/**
 * The recorded channel @mention saying `command` to the bot, with a fresh numeric activity id,
 * in `conversationId` (by default a new thread of TEAMS_CHANNEL named after that id).
 */
export function mentionMessage(serviceUrl: string, command: string, options: { conversationId?: string; locale?: string } = {}): Activity {
  const activity = recorded('vercel-chat-replay/teams.json', '/mention');
  const id = String(Date.now()) + Math.floor(Math.random() * 1e6);
  activity.id = id;
  activity.serviceUrl = serviceUrl;
  activity.text = `<at>Chat SDK Demo</at> ${command}`;
  activity.locale = options.locale ?? 'en-US';
  activity.conversation.id = options.conversationId ?? `${TEAMS_CHANNEL};messageid=${id}`;
  return activity;
}

/** The recorded personal-chat message saying `text`, with a fresh activity id; without `locale` it names none, as the recording. */
export function personalMessage(serviceUrl: string, text: string, options: { locale?: string } = {}): Activity {
  const activity = recorded('vercel-chat-replay/dm_teams.json', '/dmMessage');
  activity.id = randomUUID();
  activity.serviceUrl = serviceUrl;
  activity.text = text;
  if (options.locale !== undefined) activity.locale = options.locale;
  return activity;
}

/**
 * An Action.Execute press on a card in `base`'s conversation, as Teams sends it (an
 * `adaptiveCard/action` invoke). `channelData` carries the base's (a press in a channel).
 */
export function invokeActivity(
  base: Activity,
  verb: unknown,
  data: Record<string, unknown>,
  options: { locale?: string; channelData?: boolean } = {},
): Record<string, unknown> {
  return {
    type: 'invoke',
    name: 'adaptiveCard/action',
    id: `f:${randomUUID()}`,
    channelId: 'msteams',
    serviceUrl: base.serviceUrl,
    from: base.from,
    recipient: base.recipient,
    conversation: base.conversation,
    ...(options.channelData ? { channelData: base.channelData } : {}),
    ...(options.locale !== undefined ? { locale: options.locale } : {}),
    value: { action: { type: 'Action.Execute', verb, data }, trigger: 'manual' },
  };
}
