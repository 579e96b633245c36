import type { InboxHandler } from '../../../outbox/inbox.ts';
import type { SlackContext } from '../slack-context.ts';
import { processAppMention } from './app-mention.ts';
import { processCommand } from './command.ts';
import { processDeclareSubmission } from './declare-submission.ts';
import { processEditTranslationSubmission } from './edit-translation-submission.ts';
import { processPreviewAction } from './preview-action.ts';

/** The kinds of stored Slack request, as the listeners name them when they store one. */
export const SLACK_REQUEST_KINDS = ['command', 'preview_action', 'declare_submission', 'edit_translation_submission', 'app_mention'] as const;
export type SlackRequestKind = (typeof SLACK_REQUEST_KINDS)[number];

/** How each kind of stored request is processed, after the ack, by whichever process claims it. */
export function slackRequestHandlers(ctx: SlackContext): Record<SlackRequestKind, InboxHandler> {
  return {
    command: processCommand(ctx),
    preview_action: processPreviewAction(ctx),
    declare_submission: processDeclareSubmission(ctx),
    edit_translation_submission: processEditTranslationSubmission(ctx),
    app_mention: processAppMention(ctx),
  };
}
