import { describe, expect, it } from 'vitest';
import { type PublicUpdateContent, renderPublicUpdate, renderPublicUpdateAll } from '../../src/translate/render-update.ts';
import { testI18n } from '../app/helpers.ts';

const i18n = testI18n();
const api = { name: 'REST API', names: { ja: 'REST API' } };
const consoleUi = { name: 'Console', names: { ja: 'コンソール (管理画面)' } };

function update(over: Partial<PublicUpdateContent> = {}): PublicUpdateContent {
  return {
    status: 'identified',
    at: new Date('2026-02-26T15:20:00Z'),
    components: [],
    sourceLang: 'en',
    bodies: { en: 'We found the cause.', ja: '原因を特定しました。' },
    ...over,
  };
}

describe('renderPublicUpdate golden texts', () => {
  it('en: a status change, in UTC', () => {
    expect(renderPublicUpdate(i18n, update(), 'en', 'UTC')).toBe('Feb 26, 15:20 UTC — Identified\nWe found the cause.');
  });

  it('ja: the addendum form, past midnight in Japan', () => {
    expect(renderPublicUpdate(i18n, update(), 'ja', 'Asia/Tokyo')).toBe('■2/27 0:20 (JST) 追記【原因特定】\n原因を特定しました。');
  });

  it('en: affected components with their impacts', () => {
    const content = update({
      status: 'investigating',
      components: [
        { ...consoleUi, impact: 'partial_outage' },
        { ...api, impact: 'degraded_performance' },
      ],
    });
    expect(renderPublicUpdate(i18n, content, 'en', 'UTC')).toBe(
      'Feb 26, 15:20 UTC — Investigating\nAffected: Console (Partial outage), REST API (Degraded performance)\nWe found the cause.',
    );
  });

  it('ja: component names from the catalog and impacts from the locale files', () => {
    const content = update({
      status: 'monitoring',
      components: [
        { ...consoleUi, impact: 'major_outage' },
        { ...api, impact: 'degraded_performance' },
      ],
    });
    expect(renderPublicUpdate(i18n, content, 'ja', 'Asia/Tokyo')).toBe(
      '■2/27 0:20 (JST) 追記【経過観察中】\n影響範囲: コンソール (管理画面)（全面停止）、REST API（パフォーマンス低下）\n原因を特定しました。',
    );
  });

  it('crosses the year at midnight in Japan while it is still New Year’s Eve in UTC', () => {
    const content = update({ status: 'resolved', at: new Date('2025-12-31T15:30:00Z') });
    expect(renderPublicUpdateAll(i18n, content, ['en', 'ja'], { en: 'UTC', ja: 'Asia/Tokyo' })).toEqual({
      en: 'Dec 31, 15:30 UTC — Resolved\nWe found the cause.',
      ja: '■1/1 0:30 (JST) 追記【解決済み】\n原因を特定しました。',
    });
  });

  it('reads the time in the zone configured for the language', () => {
    expect(renderPublicUpdate(i18n, update(), 'en', 'America/New_York').split('\n')[0]).toBe('Feb 26, 10:20 EST — Identified');
  });

  it('shows the source text, labelled as the original, for a language without a translation', () => {
    const content = update({ bodies: { en: 'We found the cause.' } });
    expect(renderPublicUpdate(i18n, content, 'ja', 'Asia/Tokyo')).toBe('■2/27 0:20 (JST) 追記【原因特定】\n原文（英語）:\nWe found the cause.');
  });
});
