import { describe, expect, it } from 'vitest';
import { resolutionProposal } from '../../src/alerts/process-delivery.ts';
import { renderMessage } from '../../src/chat/slack/blocks.ts';
import { PREVIEW_ACTIONS } from '../../src/chat/slack/listeners/preview-actions.ts';
import { CARD_VERBS, messageToCard } from '../../src/chat/teams/cards.ts';
import { person, testI18n } from '../app/helpers.ts';

const INCIDENT_ID = '0b7c2f3e-5d1a-4c8e-9f60-7a2b1c3d4e5f';

describe('the resolution proposal', () => {
  const ja = { ...person('Alertmanager', 'ja'), name: 'Alertmanager' };

  it('is a Teams Action.Execute whose verb the bot handles, carrying the incident', () => {
    const card = messageToCard(resolutionProposal(testI18n(), ja, 'INC-7', INCIDENT_ID));
    expect(card.actions).toEqual([{ type: 'Action.Execute', title: 'INC-7 を解決', verb: CARD_VERBS.resolve, data: { updateId: INCIDENT_ID }, style: 'positive' }]);
    expect(JSON.stringify(card.body)).toContain('Alertmanager によると INC-7 の原因となったアラートはすべて解消しました');
  });

  it('is a Slack button the action listener takes', () => {
    const message = resolutionProposal(testI18n(), { ...ja, lang: 'en' }, 'INC-7', INCIDENT_ID);
    const { blocks } = renderMessage(message, { truncatedNote: () => '' });
    const actions = (blocks as { type: string }[]).find((b) => b.type === 'actions') as unknown as { elements: { action_id: string; value: string }[] };
    expect(actions.elements.map((e) => [e.action_id, e.value])).toEqual([['resolve_incident', INCIDENT_ID]]);
    expect(PREVIEW_ACTIONS.test(actions.elements[0]!.action_id)).toBe(true);
  });
});
