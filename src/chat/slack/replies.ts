import { errorMessage, RetryLaterError } from '../errors.ts';
import type { Reply } from '../message.ts';
import type { Respond } from './respond.ts';
import { slackErrorCode, withRateLimit } from './slack-client.ts';
import type { SlackContext } from './slack-context.ts';

/** Where the replies of one request go. */
export interface ReplyTarget {
  channelId: string;
  userId: string;
  lang: string;
  /** The request's response_url, when Slack gave one (commands, buttons). */
  respond?: Respond | undefined;
  /** The stored request's delivery key: channel posts are keyed by it, so processing it again posts nothing twice. */
  requestKey?: string | undefined;
}

/** Codes meaning the bot cannot post in that channel (not a member, archived, a DM it is not in). */
const CANNOT_POST = new Set(['not_in_channel', 'channel_not_found', 'is_archived', 'restricted_action']);

/**
 * Sends the dispatcher's replies: ephemeral ones through response_url (or chat.postEphemeral),
 * channel ones with chat.postMessage — falling back to response_url `in_channel` where the
 * bot is not a member.
 */
export async function sendReplies(ctx: SlackContext, replies: Reply[], target: ReplyTarget): Promise<void> {
  const { client, platform } = ctx;
  for (const [i, reply] of replies.entries()) {
    const rendered = platform.render(reply.message, target.lang);
    if (reply.visibility === 'ephemeral') {
      if (target.respond) await target.respond({ response_type: 'ephemeral', replace_original: false, ...rendered });
      else await withRateLimit(() => client.chat.postEphemeral({ channel: target.channelId, user: target.userId, ...rendered }));
      continue;
    }
    try {
      await platform.post(target.channelId, reply.message, { key: target.requestKey && `${target.requestKey}:reply:${i}` }, target.lang);
    } catch (e) {
      if (!CANNOT_POST.has(slackErrorCode(e) ?? '')) throw e;
      if (target.respond) await target.respond({ response_type: 'in_channel', replace_original: false, ...rendered });
      else await withRateLimit(() => client.chat.postMessage({ channel: target.userId, ...rendered }));
    }
  }
}

/**
 * Runs a stored request's work; anything unexpected goes through the one error mapper
 * (logged, apology with a reference id) and reaches the user as an ephemeral message. The
 * database being away is thrown on instead: the request is stored, so it is processed again
 * once the database answers, and the user hears the real result then.
 */
export async function answering(ctx: SlackContext, target: ReplyTarget, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (e) {
    if (e instanceof RetryLaterError) throw e;
    const message = errorMessage(e, ctx.i18n, target.lang, ctx.logger, ctx.teamTimeZone);
    try {
      await sendReplies(ctx, [{ visibility: 'ephemeral', message }], target);
    } catch (sendError) {
      ctx.logger.warn({ err: sendError }, 'could not tell the user about a failure');
    }
  }
}
