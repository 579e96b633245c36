import type { SlashCommand } from '@slack/bolt';
import { parseCommand } from '../../../core/command-parser.ts';
import { findIncidentChatRef } from '../../../db/incident-repository.ts';
import type { InboxItem } from '../../../outbox/inbox.ts';
import { answering, type ReplyTarget, sendReplies } from '../replies.ts';
import { respondTo } from '../respond.ts';
import { withRateLimit } from '../slack-client.ts';
import type { SlackContext } from '../slack-context.ts';
import { decodeSlackText, type DecodedText } from '../slack-text.ts';
import { declareModal } from '../views.ts';

/** A stored `/incident …`: dispatched under its trigger_id; `declare` alone opens the form. */
export function processCommand(ctx: SlackContext) {
  return async (item: InboxItem): Promise<void> => {
    const command = item.payload as unknown as SlashCommand;
    const actor = await ctx.users.actor(command.user_id, command.user_name);
    const respond = command.response_url ? respondTo(command.response_url, ctx.logger) : undefined;
    const target: ReplyTarget = { channelId: command.channel_id, userId: command.user_id, lang: actor.lang, respond, requestKey: item.deliveryKey };
    await answering(ctx, target, async () => {
      // Decoded once, here: everything past this point sees what the person typed, never Slack markup.
      const decoded = await decodeSlackText(command.text ?? '', (id) => ctx.users.displayName(id));
      const result = await ctx.dispatcher.handle(
        { text: decoded.text, mentions: decoded.mentions, actor, channelId: command.channel_id, idempotencyKey: command.trigger_id },
        { retryUnavailable: true },
      );
      if (result.openForm?.kind === 'declare') {
        const view = declareModal(ctx.i18n, actor.lang, command.channel_id);
        await withRateLimit(() => ctx.client.views.open({ trigger_id: command.trigger_id, view: view as never }));
        return;
      }
      await sendReplies(ctx, result.replies, target);
      // After the answer: the role is recorded, so a failure here must not reach the user as "not recorded".
      if (result.incidentId) await inviteAssignee(ctx, decoded, actor.timeZone, result.incidentId).catch((e: unknown) => ctx.logger.warn({ err: e }, 'could not invite the assignee'));
    });
  };
}

/** `assign <role> <@U…>` brings the named responder into the incident channel. */
async function inviteAssignee(ctx: SlackContext, decoded: DecodedText, zone: string | undefined, incidentId: string): Promise<void> {
  let userId: string | undefined;
  try {
    const { command } = parseCommand(decoded.text, { now: ctx.app.clock.now(), timeZone: zone ?? ctx.teamTimeZone, mentions: decoded.mentions });
    if (command.verb === 'assign') userId = command.user.id;
  } catch {
    return;
  }
  if (!userId) return;
  const ref = await findIncidentChatRef(ctx.app.db, incidentId, 'slack');
  if (ref) await ctx.platform.invite(ref.channelId, [userId]);
}
