import type { Command } from '../../core/command.ts';
import type { PublicUpdateView } from '../../core/incident.ts';
import { MAX_TEXT_LENGTH, MAX_TITLE_LENGTH, SEVERITIES, type Severity, VISIBILITIES, type Visibility } from '../../core/model.ts';
import type { I18n } from '../../i18n.ts';
import { type Block, escapeMrkdwn, splitText, truncate } from './blocks.ts';

export const DECLARE_CALLBACK = 'declare_incident';
export const EDIT_TRANSLATION_CALLBACK = 'edit_translation';

/** A modal as views.open takes it. */
export type ModalView = Record<string, unknown> & { type: 'modal'; blocks: Block[] };

/** The `state.values` of a view submission: block_id → action_id → element state. */
export type ViewValues = Record<string, Record<string, { value?: string | null; selected_option?: { value: string } | null }>>;

const plain = (text: string) => ({ type: 'plain_text' as const, text, emoji: true });
/** Modal titles, submit and close labels are limited to 24 characters. */
const short = (text: string) => plain(truncate(text, 24));

function textInput(blockId: string, label: string, opts: { optional?: boolean; multiline?: boolean; max?: number; initial?: string; placeholder?: string; hint?: string }): Block {
  return {
    type: 'input',
    block_id: blockId,
    optional: opts.optional ?? false,
    label: plain(truncate(label, 2000)),
    ...(opts.hint ? { hint: plain(truncate(opts.hint, 2000)) } : {}),
    element: {
      type: 'plain_text_input',
      action_id: 'value',
      multiline: opts.multiline ?? false,
      ...(opts.max ? { max_length: opts.max } : {}),
      ...(opts.initial ? { initial_value: truncate(opts.initial, opts.max ?? MAX_TEXT_LENGTH) } : {}),
      ...(opts.placeholder ? { placeholder: plain(truncate(opts.placeholder, 150)) } : {}),
    },
  };
}

/** The form `declare` opens when it has no text: title, severity, components, summary, visibility. */
export function declareModal(i18n: I18n, lang: string, channelId: string): ModalView {
  const t = i18n.t(lang);
  const option = (value: string, text: string) => ({ text: plain(text), value });
  const severities = SEVERITIES.map((s) => option(s, t(`common:severity.${s}`)));
  const visibilities = VISIBILITIES.map((v) => option(v, t(`slack:declare.${v}`)));
  return {
    type: 'modal',
    callback_id: DECLARE_CALLBACK,
    private_metadata: JSON.stringify({ channelId, lang }),
    title: short(t('slack:declare.title')),
    submit: short(t('slack:declare.submit')),
    close: short(t('slack:declare.close')),
    blocks: [
      textInput('title', t('slack:declare.titleLabel'), { max: MAX_TITLE_LENGTH, placeholder: t('slack:declare.titlePlaceholder') }),
      {
        type: 'input',
        block_id: 'severity',
        label: plain(t('slack:declare.severity')),
        element: { type: 'static_select', action_id: 'value', options: severities, initial_option: severities[2] },
      },
      textInput('components', t('slack:declare.components'), { optional: true, hint: t('slack:declare.componentsHint'), placeholder: 'api, console' }),
      textInput('summary', t('slack:declare.summary'), { optional: true, multiline: true, max: MAX_TEXT_LENGTH }),
      {
        type: 'input',
        block_id: 'visibility',
        label: plain(t('slack:declare.visibility')),
        element: { type: 'radio_buttons', action_id: 'value', options: visibilities, initial_option: visibilities[0] },
      },
    ],
  };
}

/** A view's `private_metadata` (JSON we wrote when opening it); anything else reads as empty rather than throwing. */
export function readPrivateMetadata(raw: string | undefined): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(raw || '{}');
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

const COMPONENT_ID = /^[a-z0-9][a-z0-9_-]*$/;

/** A declare form's fields, validated: the command to run, or the field errors to show in the modal. */
export function readDeclareForm(
  values: ViewValues,
  i18n: I18n,
  lang: string,
  knownComponents: ReadonlySet<string> | undefined,
): { command: Extract<Command, { verb: 'declare'; form: false }> } | { errors: Record<string, string> } {
  const t = i18n.t(lang);
  const text = (block: string) => values[block]?.value?.value?.trim() ?? '';
  const selected = (block: string) => values[block]?.value?.selected_option?.value;
  const errors: Record<string, string> = {};

  const title = text('title');
  if (!title) errors.title = t('slack:form.titleRequired');
  else if ([...title].length > MAX_TITLE_LENGTH) errors.title = t('slack:form.tooLong', { max: MAX_TITLE_LENGTH });

  const components = [...new Set(text('components').split(/[\s,、，]+/).filter(Boolean).map((c) => c.toLowerCase()))];
  const malformed = components.filter((c) => !COMPONENT_ID.test(c));
  const unknown = knownComponents ? components.filter((c) => COMPONENT_ID.test(c) && !knownComponents.has(c)) : [];
  if (malformed.length) errors.components = t('slack:form.badComponents', { components: malformed.join(', ') });
  else if (unknown.length) errors.components = t('slack:form.unknownComponents', { components: unknown.join(', ') });

  const summary = text('summary');
  if ([...summary].length > MAX_TEXT_LENGTH) errors.summary = t('slack:form.tooLong', { max: MAX_TEXT_LENGTH });

  if (Object.keys(errors).length) return { errors };
  const severity = (SEVERITIES as readonly string[]).includes(selected('severity') ?? '') ? (selected('severity') as Severity) : undefined;
  const visibility: Visibility = selected('visibility') === 'private' ? 'private' : 'public';
  return {
    command: {
      verb: 'declare',
      form: false,
      title,
      components,
      visibility,
      ...(severity ? { severity } : {}),
      ...(summary ? { summary } : {}),
    },
  };
}

/** The Edit translation form: the source text, then one field per configured language. */
export function editTranslationModal(i18n: I18n, lang: string, update: PublicUpdateView, locales: readonly string[], channelId: string): ModalView {
  const t = i18n.t(lang);
  const source = splitText(escapeMrkdwn(update.body)).slice(0, 10);
  const blocks: Block[] = [
    { type: 'context', elements: [{ type: 'mrkdwn', text: escapeMrkdwn(t('slack:edit.source', { lang: update.sourceLang })) }] },
    ...source.map((piece) => ({ type: 'section', text: { type: 'mrkdwn', text: piece } })),
  ];
  for (const l of locales) {
    const current = update.translations.find((tr) => tr.lang === l)?.body ?? (l === update.sourceLang ? update.body : '');
    blocks.push(
      textInput(`lang:${l}`, t('slack:edit.language', { lang: l }), {
        optional: true,
        multiline: true,
        max: MAX_TEXT_LENGTH,
        initial: current,
        hint: t('slack:edit.hint'),
      }),
    );
  }
  return {
    type: 'modal',
    callback_id: EDIT_TRANSLATION_CALLBACK,
    private_metadata: JSON.stringify({ updateId: update.id, channelId, lang }),
    title: short(t('slack:edit.title')),
    submit: short(t('slack:edit.submit')),
    close: short(t('slack:edit.close')),
    blocks,
  };
}

/** The languages whose text the person changed in the Edit translation form. */
export function readTranslationForm(values: ViewValues, update: PublicUpdateView, locales: readonly string[]): { lang: string; body: string }[] {
  const changed: { lang: string; body: string }[] = [];
  for (const l of locales) {
    const body = values[`lang:${l}`]?.value?.value?.trim();
    if (!body) continue;
    const current = update.translations.find((tr) => tr.lang === l)?.body ?? (l === update.sourceLang ? update.body : undefined);
    if (body !== current?.trim()) changed.push({ lang: l, body });
  }
  return changed;
}
