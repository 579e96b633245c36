import { describe, expect, it } from 'vitest';
import { declareFormCard, declareFromForm, messageActivity, messageToCard, translationFormCard } from '../../../src/chat/teams/cards.ts';
import { testI18n } from '../../app/helpers.ts';
import { adaptiveCardProblems, ConnectorSpec } from '../../helpers/teams/schemas.ts';

const tr = testI18n().t('ja');
const preview = {
  text: 'Public update preview — INC-3 (Investigating)',
  title: 'Public update preview — INC-3 (Investigating)',
  lines: ['en (written by a person)\n*API* errors [link](http://x)', 'ja: missing'],
  fields: [{ label: 'Status', value: 'Investigating' }],
  actions: [
    { id: 'publish_update' as const, label: 'Publish', value: 'u1', style: 'primary' as const },
    { id: 'edit_translation' as const, label: 'Edit translation', value: 'u1' },
    { id: 'cancel_update' as const, label: 'Cancel', value: 'u1', style: 'danger' as const },
  ],
};

describe('Adaptive Cards for Teams', () => {
  it.each([
    ['a preview', messageToCard(preview, ['Published.'])],
    ['the declare form', declareFormCard(tr)],
    ['the translation form', translationFormCard(tr, 'u1', '翻訳を編集 — INC-3', [{ lang: 'en', body: 'x' }, { lang: 'ja', body: '' }])],
  ])('%s validates against the Adaptive Card 1.5 schema', (_name, card) => {
    expect(adaptiveCardProblems(card)).toEqual([]);
  });

  it('the schema check catches a broken card', () => {
    expect(adaptiveCardProblems({ type: 'AdaptiveCard', version: '1.5', body: [{ type: 'TextBlock' }] })).not.toEqual([]);
    expect(adaptiveCardProblems({ type: 'AdaptiveCard', version: '1.6', body: [] })).not.toEqual([]);
  });

  it('user text goes in TextRuns, never read as Markdown', () => {
    const json = JSON.stringify(messageToCard(preview));
    expect(json).toContain('{"type":"TextRun","text":"*API* errors [link](http://x)"}');
    expect(json).not.toContain('"TextBlock"');
  });

  it('buttons are Action.Execute with the update id and Teams styles', () => {
    const card = messageToCard(preview) as unknown as { actions: unknown[] };
    expect(card.actions[0]).toEqual({ type: 'Action.Execute', title: 'Publish', verb: 'publish_update', data: { updateId: 'u1' }, style: 'positive' });
    expect(card.actions[2]).toMatchObject({ style: 'destructive' });
  });

  it('a single line goes as plain text, anything structured as a card', () => {
    expect(messageActivity({ text: 'Noted.', lines: ['Noted.'] })).toEqual({ type: 'message', text: 'Noted.', textFormat: 'plain' });
    expect(messageActivity(preview).attachments).toHaveLength(1);
  });

  it.each([
    [
      { title: 'DB down', severity: 'SEV2', components: 'api, console', summary: '', private: 'false' },
      { verb: 'declare', form: false, title: 'DB down', severity: 'SEV2', components: ['api', 'console'], visibility: 'public' },
    ],
    [
      { title: ' Login  fails ', severity: 'SEV9', components: '', summary: ' users locked out ', private: 'true' },
      { verb: 'declare', form: false, title: 'Login  fails', components: [], visibility: 'private', summary: 'users locked out' },
    ],
    [
      { title: 'API down --private --sev 1', severity: 'SEV3', components: 'API，Console db', summary: '--components x', private: 'false' },
      { verb: 'declare', form: false, title: 'API down --private --sev 1', severity: 'SEV3', components: ['api', 'console', 'db'], visibility: 'public', summary: '--components x' },
    ],
    [{ title: 42, severity: null, components: ['api'], private: true }, { verb: 'declare', form: false, title: '', components: [], visibility: 'private' }],
  ])('the declare form %j is the command %j, no field read as options', (data, command) => {
    expect(declareFromForm(data)).toEqual(command);
  });

  it('a malformed component id in the declare form is a bad argument', () => {
    expect(() => declareFromForm({ title: 'x', components: 'api,API!' })).toThrow(expect.objectContaining({ code: 'bad_argument', params: { value: 'api!' } }));
  });
});

describe('Connector API checks', () => {
  const spec = new ConnectorSpec();
  it('accepts a reply activity', () => {
    const r = spec.check('POST', '/v3/conversations/a%3A1/activities/99', { type: 'message', text: 'hi' });
    expect(r).toMatchObject({ operationId: 'Conversations_ReplyToActivity', params: { conversationId: 'a:1', activityId: '99' }, problems: [] });
  });
  it('flags an unknown activity type, an unknown property and an unknown route', () => {
    expect(spec.check('POST', '/v3/conversations/a/activities', { type: 'shout' }).problems).not.toEqual([]);
    expect(spec.check('POST', '/v3/conversations/a/activities', { type: 'message', txt: 'typo' }).problems).toEqual(['Activity has no property "txt"']);
    expect(spec.check('POST', '/v3/teams/x', {}).problems).not.toEqual([]);
  });
});
