import type { TFunction } from 'i18next';
import type { Command } from '../../core/command.ts';
import { componentIds } from '../../core/command-parser.ts';
import type { Severity } from '../../core/model.ts';
import type { MessageAction, NeutralMessage } from '../message.ts';

/** An Adaptive Card as sent to Teams: a plain JSON object of schema version 1.5. */
export type AdaptiveCard = Record<string, unknown> & { type: 'AdaptiveCard'; version: '1.5' };

export const ADAPTIVE_CARD_CONTENT_TYPE = 'application/vnd.microsoft.card.adaptive';

/** Verbs of the Action.Execute buttons tsuiki puts on its cards; they come back in `adaptiveCard/action` invokes. */
export const CARD_VERBS = {
  publish: 'publish_update',
  edit: 'edit_translation',
  cancel: 'cancel_update',
  retry: 'retry_translation',
  saveTranslation: 'save_translation',
  backToPreview: 'show_preview',
  declare: 'declare_form',
  resolve: 'resolve_incident',
} as const;

const SEVERITIES = ['SEV1', 'SEV2', 'SEV3', 'SEV4'] as const;

function card(body: unknown[], actions: unknown[], fallbackText: string): AdaptiveCard {
  return {
    type: 'AdaptiveCard',
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    version: '1.5',
    fallbackText,
    body,
    ...(actions.length ? { actions } : {}),
  };
}

/**
 * Plain text as a RichTextBlock of TextRuns: TextRun is never read as Markdown, so text
 * from users (`*`, `_`, `[x](y)`) shows as typed without an escaping scheme of our own.
 */
function plain(text: string, options: { bold?: boolean; size?: 'Medium' | 'Large'; subtle?: boolean } = {}): unknown[] {
  return text.split('\n').map((line) => ({
    type: 'RichTextBlock',
    inlines: [
      {
        type: 'TextRun',
        text: line === '' ? ' ' : line,
        ...(options.bold ? { weight: 'Bolder' } : {}),
        ...(options.size ? { size: options.size } : {}),
        ...(options.subtle ? { isSubtle: true } : {}),
      },
    ],
  }));
}

function executeAction(action: MessageAction): unknown {
  return {
    type: 'Action.Execute',
    title: action.label,
    verb: action.id,
    data: { updateId: action.value },
    ...(action.style === 'primary' ? { style: 'positive' } : action.style === 'danger' ? { style: 'destructive' } : {}),
  };
}

/** A neutral message as an Adaptive Card: title, paragraphs, label/value rows, Action.Execute buttons. */
export function messageToCard(message: NeutralMessage, notes: string[] = []): AdaptiveCard {
  const body: unknown[] = [];
  if (message.title) body.push(...plain(message.title, { bold: true, size: 'Medium' }));
  for (const line of message.lines ?? (message.title ? [] : [message.text])) {
    body.push({ type: 'Container', spacing: 'Medium', items: plain(line) });
  }
  if (message.fields?.length) {
    body.push({
      type: 'Container',
      spacing: 'Medium',
      items: message.fields.map((field) => ({
        type: 'ColumnSet',
        columns: [
          { type: 'Column', width: 'auto', items: plain(field.label, { bold: true }) },
          { type: 'Column', width: 'stretch', items: plain(field.value) },
        ],
      })),
    });
  }
  for (const note of notes) body.push({ type: 'Container', spacing: 'Medium', separator: true, items: plain(note, { subtle: true }) });
  const links = (message.links ?? []).map((l) => ({ type: 'Action.OpenUrl', title: l.label, url: l.url }));
  return card(body, [...(message.actions ?? []).map(executeAction), ...links], message.text);
}

/** Whether a message needs a card; a bare line of text is sent as text. */
export function needsCard(message: NeutralMessage): boolean {
  return Boolean(message.title || message.fields?.length || message.actions?.length || message.links?.length || (message.lines?.length ?? 0) > 1);
}

/** The `declare` form: its Action.Execute submits the inputs as one `declare` command. */
export function declareFormCard(t: TFunction): AdaptiveCard {
  return card(
    [
      ...plain(t('teams:declareForm.title'), { bold: true, size: 'Medium' }),
      { type: 'Input.Text', id: 'title', label: t('teams:declareForm.titleLabel'), isRequired: true, maxLength: 200, errorMessage: t('teams:declareForm.titleRequired') },
      {
        type: 'Input.ChoiceSet',
        id: 'severity',
        label: t('teams:declareForm.severityLabel'),
        value: 'SEV3',
        choices: SEVERITIES.map((s) => ({ title: t(`common:severity.${s}`), value: s })),
      },
      { type: 'Input.Text', id: 'components', label: t('teams:declareForm.componentsLabel'), placeholder: 'api,console' },
      { type: 'Input.Text', id: 'summary', label: t('teams:declareForm.summaryLabel'), isMultiline: true, maxLength: 3000 },
      { type: 'Input.Toggle', id: 'private', title: t('teams:declareForm.privateLabel'), value: 'false', valueOn: 'true', valueOff: 'false' },
    ],
    [{ type: 'Action.Execute', title: t('teams:declareForm.submit'), verb: CARD_VERBS.declare, style: 'positive' }],
    t('teams:declareForm.title'),
  );
}

/** Edit translation: one Input.Text per configured language, prefilled with what is there now. */
export function translationFormCard(t: TFunction, updateId: string, title: string, current: { lang: string; body: string }[]): AdaptiveCard {
  return card(
    [
      ...plain(title, { bold: true, size: 'Medium' }),
      ...plain(t('teams:translationForm.intro'), { subtle: true }),
      ...current.map((c) => ({ type: 'Input.Text', id: `lang_${c.lang}`, label: c.lang, value: c.body, isMultiline: true, maxLength: 3000 })),
    ],
    [
      { type: 'Action.Execute', title: t('teams:translationForm.save'), verb: CARD_VERBS.saveTranslation, data: { updateId }, style: 'positive' },
      { type: 'Action.Execute', title: t('teams:translationForm.back'), verb: CARD_VERBS.backToPreview, data: { updateId }, associatedInputs: 'none' },
    ],
    title,
  );
}

/**
 * What the declare form submitted, as the `declare` command itself: each field is one part
 * of the declaration, never parsed as command text, so a title such as `API down --private`
 * is that title (like Slack's modal). The use case checks title and summary; a malformed
 * component id is refused here as it would be after `--components`.
 */
export function declareFromForm(data: Record<string, unknown>): Extract<Command, { verb: 'declare'; form: false }> {
  const str = (v: unknown) => (typeof v === 'string' ? v.trim() : '');
  const severity = (SEVERITIES as readonly string[]).includes(str(data.severity)) ? (str(data.severity) as Severity) : undefined;
  // A list field, read as Slack's form reads it: commas (also 、，) or spaces between ids.
  const components = str(data.components).split(/[\s,、，]+/u).filter(Boolean);
  const summary = str(data.summary);
  return {
    verb: 'declare',
    form: false,
    title: str(data.title),
    components: components.length ? componentIds(components.join(',')) : [],
    visibility: data.private === 'true' || data.private === true ? 'private' : 'public',
    ...(severity ? { severity } : {}),
    ...(summary ? { summary } : {}),
  };
}

/** A neutral message as a Bot Framework message activity: a card when it has structure, else plain text. */
export function messageActivity(message: NeutralMessage, notes: string[] = []): Record<string, unknown> & { type: 'message' } {
  if (!needsCard(message) && notes.length === 0) {
    return { type: 'message', text: message.lines?.[0] ?? message.text, textFormat: 'plain' };
  }
  return {
    type: 'message',
    summary: message.text,
    attachments: [{ contentType: ADAPTIVE_CARD_CONTENT_TYPE, content: messageToCard(message, notes) }],
  };
}
