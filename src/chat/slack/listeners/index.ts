import type { App } from '@slack/bolt';
import type { SlackContext } from '../slack-context.ts';
import { DECLARE_CALLBACK, EDIT_TRANSLATION_CALLBACK } from '../views.ts';
import { appMention } from './app-mention.ts';
import { declareSubmission } from './declare-submission.ts';
import { editTranslationSubmission } from './edit-translation-submission.ts';
import { PREVIEW_ACTIONS, previewAction } from './preview-actions.ts';
import { slashCommand } from './slash-command.ts';

/** Registers every callback of the Slack app; each lives in its own file. */
export function registerListeners(app: App, ctx: SlackContext): void {
  app.command('/incident', slashCommand(ctx));
  app.action({ type: 'block_actions', action_id: PREVIEW_ACTIONS }, previewAction(ctx) as never);
  app.view(DECLARE_CALLBACK, declareSubmission(ctx));
  app.view(EDIT_TRANSLATION_CALLBACK, editTranslationSubmission(ctx));
  app.event('app_mention', appMention(ctx));
}
