import { describe, expect, it } from 'vitest';
import { describeEntry, formatEntryLine } from '../../src/core/describe-entry.ts';
import type { EntryKind } from '../../src/core/model.ts';
import { createI18n } from '../../src/i18n.ts';
import { entry, jst } from '../helpers/snapshot.ts';

const i18n = createI18n(['en', 'ja']);
const at = jst('2021-02-26T22:50');

type Case = [name: string, kind: EntryKind, text: string | null, data: Record<string, unknown>, en: string, ja: string];

const cases: Case[] = [
  [
    'declared with components',
    'declared',
    'API errors',
    { severity: 'SEV1', visibility: 'public', components: ['api', 'console'] },
    'Incident declared: API errors — SEV1 (critical), public, components: api, console',
    'インシデントを宣言: API errors — SEV1 (致命的)、公開、対象: api、console',
  ],
  [
    'declared without components',
    'declared',
    'API errors',
    { severity: 'SEV3', visibility: 'private', components: [] },
    'Incident declared: API errors — SEV3 (minor), private',
    'インシデントを宣言: API errors — SEV3 (軽微)、非公開',
  ],
  ['note', 'note', 'Paged the DB team', {}, 'Note: Paged the DB team', 'メモ: Paged the DB team'],
  [
    'status with public text',
    'status',
    'DB failover in progress',
    { status: 'identified', from: 'investigating' },
    'Status changed to Identified: DB failover in progress',
    '状態を「原因特定」に変更: DB failover in progress',
  ],
  ['status without text', 'status', null, { status: 'resolved', from: 'monitoring' }, 'Status changed to Resolved', '状態を「解決済み」に変更'],
  [
    'public update',
    'public_update',
    'We are investigating.',
    { updateId: 'u1', status: 'investigating' },
    'Public update (Investigating): We are investigating.',
    '公開告知（調査中）: We are investigating.',
  ],
  ['severity change', 'severity', null, { severity: 'SEV1', from: 'SEV2' }, 'Severity changed from SEV2 (major) to SEV1 (critical)', '重大度を SEV2 (重大) から SEV1 (致命的) に変更'],
  [
    'components with impact, named in the language when names are given',
    'component',
    null,
    { components: [{ id: 'console', name: 'Console', names: { ja: 'コンソール (管理画面)' }, impact: 'major_outage' }, { id: 'api', name: 'REST API', impact: 'partial_outage' }] },
    'Affected components: Console (Major outage), REST API (Partial outage)',
    '影響を受けるコンポーネント: コンソール (管理画面)（全面停止）、REST API（一部停止）',
  ],
  ['no components left', 'component', null, { components: [] }, 'No components affected', '影響を受けるコンポーネントなし'],
  ['well-known role', 'role', null, { role: 'comms', userId: 'U2', userName: 'Ben' }, 'Ben assigned as Comms lead', 'Ben を広報担当に任命'],
  ['free-form role', 'role', null, { role: 'db-liaison', userId: 'U3', userName: 'Chen' }, 'Chen assigned as db-liaison', 'Chen をdb-liaisonに任命'],
  ['cause', 'cause', 'Overloaded management service', {}, 'Cause note: Overloaded management service', '原因メモ: Overloaded management service'],
  ['action with owner', 'action', 'Add autoscaling', { ownerName: 'Chen' }, 'Action item: Add autoscaling (owner: Chen)', '対応項目: Add autoscaling（担当: Chen）'],
  ['action without owner', 'action', 'Add autoscaling', {}, 'Action item: Add autoscaling', '対応項目: Add autoscaling'],
  ['reminder', 'reminder', null, { minutes: 30 }, 'Public update reminder set to every 30 min', '公開告知のリマインダーを30分ごとに設定'],
  [
    'upstream with vendor and url',
    'upstream',
    'Identified',
    { vendor: 'Twilio', url: 'https://status.twilio.com/incidents/zmz5c9prz8mm' },
    'Upstream update from Twilio: Identified https://status.twilio.com/incidents/zmz5c9prz8mm',
    'Twilio の更新: Identified https://status.twilio.com/incidents/zmz5c9prz8mm',
  ],
  ['upstream without vendor', 'upstream', 'Monitoring', {}, 'Upstream update: Monitoring', '上流ベンダーの更新: Monitoring'],
  ['closed with final text', 'closed', 'All services recovered.', {}, 'Incident closed: All services recovered.', 'インシデントをクローズ: All services recovered.'],
  ['closed without text', 'closed', null, {}, 'Incident closed', 'インシデントをクローズ'],
  ['postmortem', 'postmortem', null, { langs: ['en', 'ja'] }, 'Postmortem draft generated (en, ja)', 'ポストモーテム草案を作成（en、ja）'],
];

describe('describeEntry', () => {
  it.each(cases)('describes %s in English', (_name, kind, text, data, en) => {
    expect(describeEntry(entry({ kind, at, text, data }), 'en', i18n)).toBe(en);
  });

  it.each(cases)('describes %s in Japanese', (_name, kind, text, data, _en, ja) => {
    expect(describeEntry(entry({ kind, at, text, data }), 'ja', i18n)).toBe(ja);
  });

  it('shows a key moment with its time in the zone when a zone is given', () => {
    const moment = entry({ kind: 'moment', at, data: { moment: 'started', at: jst('2021-02-26T22:25').toISOString() } });
    expect(describeEntry(moment, 'en', i18n, 'UTC')).toBe('Impact started at Feb 26, 13:25 UTC');
    expect(describeEntry(moment, 'ja', i18n, 'Asia/Tokyo')).toBe('影響開始時刻: 2/26 22:25 (JST)');
  });

  it('names a key moment without a time when no zone is given', () => {
    const moment = entry({ kind: 'moment', at, data: { moment: 'detected', at: at.toISOString() } });
    expect(describeEntry(moment, 'en', i18n)).toBe('Detected time recorded');
    expect(describeEntry(moment, 'ja', i18n)).toBe('検知時刻を記録');
  });

  it('keeps free text verbatim but on one line', () => {
    const note = entry({ kind: 'note', at, text: 'line one\n\n  line two {{text}} $t(common:status.resolved)' });
    expect(describeEntry(note, 'en', i18n)).toBe('Note: line one line two {{text}} $t(common:status.resolved)');
  });

  it.each<[EntryKind, Record<string, unknown>]>([
    ['declared', {}],
    ['status', { status: 42 }],
    ['public_update', {}],
    ['severity', { severity: 'SEV9' }],
    ['component', { components: 'api' }],
    ['component', { components: [null, 3, { impact: 'major_outage' }] }],
    ['role', {}],
    ['moment', { moment: 'started', at: 'not a date' }],
    ['reminder', { minutes: 'thirty' }],
    ['postmortem', { langs: 'en' }],
    ['nonsense' as EntryKind, { whatever: true }],
  ])('falls back gracefully for %s with data %j', (kind, data) => {
    for (const lang of ['en', 'ja']) {
      const line = describeEntry(entry({ kind, at, data }), lang, i18n, 'UTC');
      expect(line).not.toBe('');
      expect(line).not.toMatch(/timeline:|common:|\{\{/);
    }
  });

  it('shows an unknown status or severity as given instead of a missing key', () => {
    expect(describeEntry(entry({ kind: 'status', at, data: { status: 'paused' } }), 'en', i18n)).toBe('Status changed to paused');
    expect(describeEntry(entry({ kind: 'severity', at, data: { severity: 'SEV9' } }), 'ja', i18n)).toBe('重大度を SEV9 に設定');
  });

  it('shows an entry of an unknown kind with its kind and text', () => {
    expect(describeEntry(entry({ kind: 'escalation' as EntryKind, at, text: 'paged VP' }), 'en', i18n)).toBe('escalation: paged VP');
  });
});

describe('formatEntryLine', () => {
  const note = (recordedAt: Date) => entry({ kind: 'note', at: jst('2021-02-26T22:25'), recordedAt, text: 'Errors began', author: 'Aiko' });

  it('reads time, author and description in the zone', () => {
    const line = note(jst('2021-02-26T22:25'));
    expect(formatEntryLine(line, 'en', 'UTC', i18n)).toBe('Feb 26, 13:25 UTC · Aiko · Note: Errors began');
    expect(formatEntryLine(line, 'ja', 'Asia/Tokyo', i18n)).toBe('2/26 22:25 (JST) · Aiko · メモ: Errors began');
  });

  it('marks an entry recorded more than a minute after it occurred', () => {
    const line = note(jst('2021-02-26T22:51'));
    expect(formatEntryLine(line, 'en', 'UTC', i18n)).toBe('Feb 26, 13:25 UTC · Aiko · Note: Errors began (recorded 13:51 UTC)');
    expect(formatEntryLine(line, 'ja', 'Asia/Tokyo', i18n)).toBe('2/26 22:25 (JST) · Aiko · メモ: Errors began （22:51 (JST) に記録）');
  });

  it('does not mark an entry recorded within a minute', () => {
    expect(formatEntryLine(note(new Date(jst('2021-02-26T22:25').getTime() + 60_000)), 'en', 'UTC', i18n)).not.toContain('recorded');
  });

  it('gives the date of the recording when it was on a later day in the zone', () => {
    expect(formatEntryLine(note(jst('2021-02-27T00:20')), 'ja', 'Asia/Tokyo', i18n)).toContain('（2/27 0:20 (JST) に記録）');
  });

  it('falls back to the author id, then to a word for unknown', () => {
    const anonymous = { ...note(jst('2021-02-26T22:25')), authorName: '', authorId: '' };
    expect(formatEntryLine(anonymous, 'ja', 'Asia/Tokyo', i18n)).toContain(' · 不明 · ');
  });
});
