import { describe, expect, it } from 'vitest';
import type { Command, ParseContext, ParsedCommand } from '../../src/core/command.ts';
import { VERBS } from '../../src/core/command.ts';
import { parseCommand, VERB_ALIASES } from '../../src/core/command-parser.ts';
import { DomainError, isDomainError } from '../../src/core/errors.ts';

// 2021-02-27 00:10 in Tokyo, just after midnight, so `HH:MM` later than that means 2/26.
const ctx: ParseContext = { now: new Date('2021-02-26T15:10:00Z'), timeZone: 'Asia/Tokyo' };
const utc: ParseContext = { now: new Date('2021-02-26T15:10:00Z'), timeZone: 'UTC' };

const at = (iso: string) => new Date(iso);
const only = (command: Command): ParsedCommand => ({ command });
const on = (incidentNumber: number, command: Command): ParsedCommand => ({ command, incidentNumber });
const declared = (fields: Partial<Extract<Command, { form: false }>>): Command => ({
  verb: 'declare',
  form: false,
  title: 'DB down',
  components: [],
  visibility: 'public',
  ...fields,
});
const STATUSES_ALLOWED = 'investigating, identified, monitoring, resolved';

function errorOf(text: string, context = ctx): DomainError {
  try {
    parseCommand(text, context);
  } catch (e) {
    if (isDomainError(e)) return e;
    throw e;
  }
  throw new Error(`expected ${JSON.stringify(text)} to fail`);
}

describe('parseCommand: help and verbs', () => {
  it.each([
    ['', only({ verb: 'help' })],
    ['   ', only({ verb: 'help' })],
    ['/incident', only({ verb: 'help' })],
    ['/incident   help', only({ verb: 'help' })],
    ['help', only({ verb: 'help' })],
    ['HELP', only({ verb: 'help' })],
    ['ヘルプ', only({ verb: 'help' })],
    ['ｈｅｌｐ', only({ verb: 'help' })],
    ['help declare', only({ verb: 'help', topic: 'declare' })],
    ['help 宣言', only({ verb: 'help', topic: 'declare' })],
    ['help note', only({ verb: 'help', topic: 'update' })],
    ['help status please', only({ verb: 'help', topic: 'status' })],
  ])('%j', (text, expected) => {
    expect(parseCommand(text, ctx)).toEqual(expected);
  });

  it.each(Object.entries(VERB_ALIASES))('alias %s names %s', (alias, verb) => {
    expect(parseCommand(`help ${alias}`, ctx).command).toEqual({ verb: 'help', topic: verb });
  });

  it('has an alias for every verb', () => {
    expect(new Set(Object.values(VERB_ALIASES))).toEqual(new Set(VERBS));
  });
});

describe('parseCommand: declare', () => {
  it.each([
    ['declare', only({ verb: 'declare', form: true })],
    ['宣言', only({ verb: 'declare', form: true })],
    ['/incident declare  ', only({ verb: 'declare', form: true })],
    ['declare DB down', only(declared({}))],
    ['宣言 DB down', only(declared({}))],
    ['declare DB  down', only(declared({ title: 'DB  down' }))],
    ['declare DB down --sev 1', only(declared({ severity: 'SEV1' }))],
    ['declare --sev 1 DB down', only(declared({ severity: 'SEV1' }))],
    ['declare DB --sev 1 down', only(declared({ severity: 'SEV1' }))],
    ['declare DB down --sev=2', only(declared({ severity: 'SEV2' }))],
    ['declare DB down --sev SEV3', only(declared({ severity: 'SEV3' }))],
    ['declare DB down --severity sev4', only(declared({ severity: 'SEV4' }))],
    ['declare DB down --components api,console', only(declared({ components: ['api', 'console'] }))],
    ['declare --components=api,console DB down', only(declared({ components: ['api', 'console'] }))],
    ['declare DB down --components api, console', only(declared({ components: ['api', 'console'] }))],
    ['declare DB down --components API,api,db', only(declared({ components: ['api', 'db'] }))],
    ['declare DB down --components=api, db', only(declared({ components: ['api', 'db'] }))],
    ['declare DB down --private', only(declared({ visibility: 'private' }))],
    ['declare --private DB down', only(declared({ visibility: 'private' }))],
    ['declare DB down --started 22:25', only(declared({ started: at('2021-02-26T13:25:00Z') }))],
    ['declare DB --started 23:50 down', only(declared({ started: at('2021-02-26T14:50:00Z') }))],
    ['declare DB down --started=22:25', only(declared({ started: at('2021-02-26T13:25:00Z') }))],
    ['declare DB down --started 2/26 22:25', only(declared({ started: at('2021-02-26T13:25:00Z') }))],
    ['declare --started 2/26 22:25 DB down', only(declared({ started: at('2021-02-26T13:25:00Z') }))],
    ['declare DB down --started=2/26 22:25', only(declared({ started: at('2021-02-26T13:25:00Z') }))],
    ['declare DB down --started 2021-02-26T22:25+09:00', only(declared({ started: at('2021-02-26T13:25:00Z') }))],
    ['declare DB down --summary Users see 500s', only(declared({ summary: 'Users see 500s' }))],
    ['declare --summary Users  see 500s --sev 1 DB down', only(declared({ summary: 'Users  see 500s', severity: 'SEV1' }))],
    ['declare DB down --summary=Users see 500s', only(declared({ summary: 'Users see 500s' }))],
    [
      'declare DB down --sev 2 --components api --private --started 23:00 --summary Writes fail',
      only(
        declared({
          severity: 'SEV2',
          components: ['api'],
          visibility: 'private',
          started: at('2021-02-26T14:00:00Z'),
          summary: 'Writes fail',
        }),
      ),
    ],
    ['宣言　ＤＢ障害　－－ｓｅｖ　２', only(declared({ title: 'ＤＢ障害', severity: 'SEV2' }))],
    ['declare DB down —sev 1', only(declared({ severity: 'SEV1' }))],
    ['declare DB down ーーsev 1', only(declared({ severity: 'SEV1' }))],
    ['declare DB down — again', only(declared({ title: 'DB down — again' }))],
  ])('%j', (text, expected) => {
    expect(parseCommand(text, ctx)).toEqual(expected);
  });
});

describe('parseCommand: incident verbs', () => {
  it.each([
    ['update db failover done', only({ verb: 'update', text: 'db failover done' })],
    ['note db failover done', only({ verb: 'update', text: 'db failover done' })],
    ['追記 フェイルオーバー完了', only({ verb: 'update', text: 'フェイルオーバー完了' })],
    ['メモ フェイルオーバー完了', only({ verb: 'update', text: 'フェイルオーバー完了' })],
    ['UPDATE Keep  Case', only({ verb: 'update', text: 'Keep  Case' })],
    ['update line one\nline two', only({ verb: 'update', text: 'line one\nline two' })],
    ['ｕｐｄａｔｅ　ＤＢ　復旧', only({ verb: 'update', text: 'ＤＢ　復旧' })],
    ['update at 22:25 restarted', only({ verb: 'update', text: 'restarted', at: at('2021-02-26T13:25:00Z'), bareClock: true })],
    ['update at 23:50 restarted', only({ verb: 'update', text: 'restarted', at: at('2021-02-26T14:50:00Z'), bareClock: true })],
    ['update ａｔ ２３：５０ restarted', only({ verb: 'update', text: 'restarted', at: at('2021-02-26T14:50:00Z'), bareClock: true })],
    ['update at 2/26 22:25 restarted', only({ verb: 'update', text: 'restarted', at: at('2021-02-26T13:25:00Z') })],
    ['update at 2021-02-26T12:00:00Z restarted', only({ verb: 'update', text: 'restarted', at: at('2021-02-26T12:00:00Z') })],
    ['追記 時刻 22:25 再起動', only({ verb: 'update', text: '再起動', at: at('2021-02-26T13:25:00Z'), bareClock: true })],
    ['update at the gate we saw errors', only({ verb: 'update', text: 'at the gate we saw errors' })],
    ['status investigating', only({ verb: 'status', status: 'investigating' })],
    ['status identified Cause found', only({ verb: 'status', status: 'identified', publicText: 'Cause found' })],
    [
      'status monitoring at 23:50 Fix deployed',
      only({ verb: 'status', status: 'monitoring', publicText: 'Fix deployed', at: at('2021-02-26T14:50:00Z'), bareClock: true }),
    ],
    ['status resolved at 0:05', only({ verb: 'status', status: 'resolved', at: at('2021-02-26T15:05:00Z'), bareClock: true })],
    ['status RESOLVED', only({ verb: 'status', status: 'resolved' })],
    ['ｓｔａｔｕｓ　ｒｅｓｏｌｖｅｄ', only({ verb: 'status', status: 'resolved' })],
    ['状態 調査中', only({ verb: 'status', status: 'investigating' })],
    ['状態 原因特定', only({ verb: 'status', status: 'identified' })],
    ['状態 特定', only({ verb: 'status', status: 'identified' })],
    ['状態 経過観察', only({ verb: 'status', status: 'monitoring' })],
    ['状態 経過観察中', only({ verb: 'status', status: 'monitoring' })],
    ['状態 監視中', only({ verb: 'status', status: 'monitoring' })],
    ['状態 解決', only({ verb: 'status', status: 'resolved' })],
    ['状態 解決済み', only({ verb: 'status', status: 'resolved' })],
    ['ステータス 復旧 復旧しました', only({ verb: 'status', status: 'resolved', publicText: '復旧しました' })],
    ['publish We are investigating', only({ verb: 'publish', text: 'We are investigating' })],
    ['公開 調査中です', only({ verb: 'publish', text: '調査中です' })],
    ['severity 1', only({ verb: 'severity', severity: 'SEV1' })],
    ['sev 2', only({ verb: 'severity', severity: 'SEV2' })],
    ['severity SEV3', only({ verb: 'severity', severity: 'SEV3' })],
    ['severity sev4', only({ verb: 'severity', severity: 'SEV4' })],
    ['重大度 ２', only({ verb: 'severity', severity: 'SEV2' })],
    ['components api,console', only({ verb: 'components', components: ['api', 'console'] })],
    ['components api, console major', only({ verb: 'components', components: ['api', 'console'], impact: 'major_outage' })],
    ['component api partial', only({ verb: 'components', components: ['api'], impact: 'partial_outage' })],
    ['components api degraded', only({ verb: 'components', components: ['api'], impact: 'degraded_performance' })],
    ['components api degraded_performance', only({ verb: 'components', components: ['api'], impact: 'degraded_performance' })],
    ['components api partial_outage', only({ verb: 'components', components: ['api'], impact: 'partial_outage' })],
    ['components api MAJOR_OUTAGE', only({ verb: 'components', components: ['api'], impact: 'major_outage' })],
    ['影響 api 一部停止', only({ verb: 'components', components: ['api'], impact: 'partial_outage' })],
    ['影響 api 部分停止', only({ verb: 'components', components: ['api'], impact: 'partial_outage' })],
    ['影響 api 全面停止', only({ verb: 'components', components: ['api'], impact: 'major_outage' })],
    ['コンポーネント api,db 性能低下', only({ verb: 'components', components: ['api', 'db'], impact: 'degraded_performance' })],
    ['影響 api パフォーマンス低下', only({ verb: 'components', components: ['api'], impact: 'degraded_performance' })],
    ['影響 ａｐｉ，ｄｂ', only({ verb: 'components', components: ['api', 'db'] })],
    ['影響 api、db', only({ verb: 'components', components: ['api', 'db'] })],
    ['components api ,db', only({ verb: 'components', components: ['api', 'db'] })],
    ['assign commander <@U123ABC>', only({ verb: 'assign', role: 'commander', user: { id: 'U123ABC', display: '<@U123ABC>' } })],
    ['assign comms <@U123ABC|taro>', only({ verb: 'assign', role: 'comms', user: { id: 'U123ABC', display: '@taro' } })],
    ['assign scribe @taro', only({ verb: 'assign', role: 'scribe', user: { display: '@taro' } })],
    ['assign Commander Taro Yamada', only({ verb: 'assign', role: 'commander', user: { display: 'Taro Yamada' } })],
    ['assign commander <at>Taro Yamada</at>', only({ verb: 'assign', role: 'commander', user: { display: 'Taro Yamada' } })],
    ['assign dba @ken', only({ verb: 'assign', role: 'dba', user: { display: '@ken' } })],
    ['assign constructor @ken', only({ verb: 'assign', role: 'constructor', user: { display: '@ken' } })],
    ['担当 指揮者 @taro', only({ verb: 'assign', role: 'commander', user: { display: '@taro' } })],
    ['割当 広報 @hanako', only({ verb: 'assign', role: 'comms', user: { display: '@hanako' } })],
    ['担当 記録 山田', only({ verb: 'assign', role: 'scribe', user: { display: '山田' } })],
    ['started 22:25', only({ verb: 'started', at: at('2021-02-26T13:25:00Z'), bareClock: true })],
    ['started at 22:25', only({ verb: 'started', at: at('2021-02-26T13:25:00Z'), bareClock: true })],
    ['detected 23:50', only({ verb: 'detected', at: at('2021-02-26T14:50:00Z'), bareClock: true })],
    ['detected 2/26 23:00', only({ verb: 'detected', at: at('2021-02-26T14:00:00Z') })],
    ['mitigated 0:05', only({ verb: 'mitigated', at: at('2021-02-26T15:05:00Z'), bareClock: true })],
    ['mitigated 2021-02-26T23:30', only({ verb: 'mitigated', at: at('2021-02-26T14:30:00Z') })],
    ['開始 22:25', only({ verb: 'started', at: at('2021-02-26T13:25:00Z'), bareClock: true })],
    ['検知 ２３：５０', only({ verb: 'detected', at: at('2021-02-26T14:50:00Z'), bareClock: true })],
    ['緩和 0:05', only({ verb: 'mitigated', at: at('2021-02-26T15:05:00Z'), bareClock: true })],
    ['cause expired certificate', only({ verb: 'cause', text: 'expired certificate' })],
    ['原因 証明書の期限切れ', only({ verb: 'cause', text: '証明書の期限切れ' })],
    ['action renew certs automatically @taro', only({ verb: 'action', text: 'renew certs automatically', owner: { display: '@taro' } })],
    ['action add an alert <@U42>', only({ verb: 'action', text: 'add an alert', owner: { id: 'U42', display: '<@U42>' } })],
    ['action add an alert', only({ verb: 'action', text: 'add an alert' })],
    ['対策 監視を追加 @taro', only({ verb: 'action', text: '監視を追加', owner: { display: '@taro' } })],
    ['アクション 監視を追加', only({ verb: 'action', text: '監視を追加' })],
    ['remind 30', only({ verb: 'remind', minutes: 30 })],
    ['remind 1', only({ verb: 'remind', minutes: 1 })],
    ['remind 1440', only({ verb: 'remind', minutes: 1440 })],
    ['remind 30m', only({ verb: 'remind', minutes: 30 })],
    ['リマインド ３０分', only({ verb: 'remind', minutes: 30 })],
    ['summary', only({ verb: 'summary' })],
    ['summary   ', only({ verb: 'summary' })],
    ['要約', only({ verb: 'summary' })],
    ['概要', only({ verb: 'summary' })],
    ['timeline', only({ verb: 'timeline' })],
    ['経過', only({ verb: 'timeline' })],
    ['タイムライン', only({ verb: 'timeline' })],
    ['list', only({ verb: 'list' })],
    ['一覧', only({ verb: 'list' })],
    ['postmortem', only({ verb: 'postmortem' })],
    ['振り返り', only({ verb: 'postmortem' })],
    ['ポストモーテム', only({ verb: 'postmortem' })],
    ['close', only({ verb: 'close' })],
    ['close All systems normal.', only({ verb: 'close', finalText: 'All systems normal.' })],
    ['終了', only({ verb: 'close' })],
    ['クローズ 復旧しました', only({ verb: 'close', finalText: '復旧しました' })],
    ['follow https://status.example.com', only({ verb: 'follow', url: 'https://status.example.com' })],
    ['フォロー http://status.example.com/api', only({ verb: 'follow', url: 'http://status.example.com/api' })],
    ['follow <https://status.example.com|status.example.com>', only({ verb: 'follow', url: 'https://status.example.com' })],
  ])('%j', (text, expected) => {
    expect(parseCommand(text, ctx)).toEqual(expected);
  });

  it('back-dates in the team zone: UTC', () => {
    expect(parseCommand('update at 14:50 restarted', utc).command).toEqual({
      verb: 'update',
      text: 'restarted',
      at: at('2021-02-26T14:50:00Z'),
      bareClock: true,
    });
  });
});

describe('parseCommand: incident references', () => {
  it.each([
    ['update INC-42 db failover done', on(42, { verb: 'update', text: 'db failover done' })],
    ['INC-42 update db failover done', on(42, { verb: 'update', text: 'db failover done' })],
    ['inc-42 update done', on(42, { verb: 'update', text: 'done' })],
    ['#INC-42 update done', on(42, { verb: 'update', text: 'done' })],
    ['update #inc-42 done', on(42, { verb: 'update', text: 'done' })],
    ['ＩＮＣ－４２　追記 完了', on(42, { verb: 'update', text: '完了' })],
    ['/incident INC-7 summary', on(7, { verb: 'summary' })],
    ['status INC-3 resolved Fixed', on(3, { verb: 'status', status: 'resolved', publicText: 'Fixed' })],
    ['INC-3 update at 22:25 restarted', on(3, { verb: 'update', text: 'restarted', at: at('2021-02-26T13:25:00Z'), bareClock: true })],
    ['INC-42 update INC-41 was similar', on(42, { verb: 'update', text: 'INC-41 was similar' })],
    ['update INC-0 is not a reference', only({ verb: 'update', text: 'INC-0 is not a reference' })],
  ])('%j', (text, expected) => {
    expect(parseCommand(text, ctx)).toEqual(expected);
  });
});

describe('parseCommand: errors', () => {
  const long = (n: number) => 'x'.repeat(n);
  it.each([
    // [text, code, params, verb]
    ['frobnicate', 'unknown_verb', { verb: 'frobnicate' }, undefined],
    ['ｆｒｏｂ now', 'unknown_verb', { verb: 'ｆｒｏｂ' }, undefined],
    ['help frobnicate', 'unknown_verb', { verb: 'frobnicate' }, 'help'],
    ['constructor', 'unknown_verb', { verb: 'constructor' }, undefined],
    ['__proto__', 'unknown_verb', { verb: '__proto__' }, undefined],
    ['status constructor', 'bad_status', { value: 'constructor', allowed: STATUSES_ALLOWED }, 'status'],
    ['components api __proto__', 'bad_impact', { value: '__proto__' }, 'components'],
    ['declare DB down --constructor', 'bad_option', { option: '--constructor' }, 'declare'],
    ['INC-42', 'missing_argument', { argument: 'verb' }, undefined],
    ['declare INC-42 DB down', 'bad_argument', { value: 'INC-42' }, 'declare'],
    ['INC-42 list', 'bad_argument', { value: 'INC-42' }, 'list'],
    ['follow inc-3 https://status.example.com', 'bad_argument', { value: 'inc-3' }, 'follow'],
    ['declare DB down --foo', 'bad_option', { option: '--foo' }, 'declare'],
    ['declare --sev 1', 'missing_argument', { argument: 'title' }, 'declare'],
    ['declare --private', 'missing_argument', { argument: 'title' }, 'declare'],
    ['declare DB down --sev', 'missing_argument', { argument: 'severity' }, 'declare'],
    ['declare DB down --sev --private', 'missing_argument', { argument: 'severity' }, 'declare'],
    ['declare DB down --sev 5', 'bad_severity', { value: '5' }, 'declare'],
    ['declare DB down --sev 1 --sev 2', 'bad_argument', { value: '--sev' }, 'declare'],
    ['declare DB down --components', 'missing_argument', { argument: 'components' }, 'declare'],
    ['declare DB down --components=', 'missing_argument', { argument: 'components' }, 'declare'],
    ['declare DB down --components api,Bad!', 'bad_argument', { value: 'bad!' }, 'declare'],
    ['declare DB down --private=yes', 'bad_argument', { value: '--private=yes' }, 'declare'],
    ['declare DB down --started', 'missing_argument', { argument: 'time' }, 'declare'],
    ['declare DB down --started 25:00', 'bad_time', { value: '25:00' }, 'declare'],
    ['declare DB down --started soon', 'bad_time', { value: 'soon' }, 'declare'],
    ['declare DB down --started 2021-02-27T01:00:00Z', 'future_time', { value: '2021-02-27T01:00:00Z' }, 'declare'],
    ['declare DB down --summary', 'missing_argument', { argument: 'summary' }, 'declare'],
    [`declare ${long(201)}`, 'text_too_long', { max: 200 }, 'declare'],
    [`declare DB down --summary ${long(3001)}`, 'text_too_long', { max: 3000 }, 'declare'],
    ['update', 'missing_argument', { argument: 'text' }, 'update'],
    ['update at 22:25', 'missing_argument', { argument: 'text' }, 'update'],
    ['update at 25:00 restarted', 'bad_time', { value: '25:00' }, 'update'],
    ['update at 2021-02-27T01:00:00Z restarted', 'future_time', { value: '2021-02-27T01:00:00Z' }, 'update'],
    ['update at 2/28 0:20 restarted', 'future_time', { value: '2/28 0:20' }, 'update'],
    [`update ${long(3001)}`, 'text_too_long', { max: 3000 }, 'update'],
    ['status', 'missing_argument', { argument: 'status' }, 'status'],
    ['status closed', 'bad_status', { value: 'closed', allowed: STATUSES_ALLOWED }, 'status'],
    ['status fixed', 'bad_status', { value: 'fixed', allowed: STATUSES_ALLOWED }, 'status'],
    [`status resolved ${long(3001)}`, 'text_too_long', { max: 3000 }, 'status'],
    ['publish', 'missing_argument', { argument: 'text' }, 'publish'],
    [`publish ${long(3001)}`, 'text_too_long', { max: 3000 }, 'publish'],
    ['cause', 'missing_argument', { argument: 'text' }, 'cause'],
    ['severity', 'missing_argument', { argument: 'severity' }, 'severity'],
    ['severity 5', 'bad_severity', { value: '5' }, 'severity'],
    ['severity 0', 'bad_severity', { value: '0' }, 'severity'],
    ['severity high', 'bad_severity', { value: 'high' }, 'severity'],
    ['severity 1 now', 'bad_argument', { value: 'now' }, 'severity'],
    ['components', 'missing_argument', { argument: 'components' }, 'components'],
    ['components ,', 'missing_argument', { argument: 'components' }, 'components'],
    ['components api total', 'bad_impact', { value: 'total' }, 'components'],
    ['components api major for real', 'bad_argument', { value: 'for real' }, 'components'],
    ['components api,-bad', 'bad_argument', { value: '-bad' }, 'components'],
    ['assign', 'missing_argument', { argument: 'role' }, 'assign'],
    ['assign @taro', 'missing_argument', { argument: 'role' }, 'assign'],
    ['assign commander', 'missing_argument', { argument: 'user' }, 'assign'],
    ['assign commander <@U1> please', 'bad_argument', { value: '<@U1> please' }, 'assign'],
    ['started', 'missing_argument', { argument: 'time' }, 'started'],
    ['mitigated at', 'missing_argument', { argument: 'time' }, 'mitigated'],
    ['detected 24:00', 'bad_time', { value: '24:00' }, 'detected'],
    ['detected 22:25 yesterday', 'bad_time', { value: '22:25 yesterday' }, 'detected'],
    ['started 2021-02-26', 'bad_time', { value: '2021-02-26' }, 'started'],
    ['action', 'missing_argument', { argument: 'text' }, 'action'],
    ['action @taro', 'missing_argument', { argument: 'text' }, 'action'],
    ['remind', 'missing_argument', { argument: 'minutes' }, 'remind'],
    ['remind 0', 'bad_minutes', { value: '0' }, 'remind'],
    ['remind 1441', 'bad_minutes', { value: '1441' }, 'remind'],
    ['remind -5', 'bad_minutes', { value: '-5' }, 'remind'],
    ['remind 1.5', 'bad_minutes', { value: '1.5' }, 'remind'],
    ['remind soon', 'bad_minutes', { value: 'soon' }, 'remind'],
    ['remind 30 60', 'bad_argument', { value: '60' }, 'remind'],
    ['summary now', 'bad_argument', { value: 'now' }, 'summary'],
    ['timeline please', 'bad_argument', { value: 'please' }, 'timeline'],
    ['list all', 'bad_argument', { value: 'all' }, 'list'],
    ['postmortem again', 'bad_argument', { value: 'again' }, 'postmortem'],
    [`close ${long(3001)}`, 'text_too_long', { max: 3000 }, 'close'],
    ['follow', 'missing_argument', { argument: 'url' }, 'follow'],
    ['follow ftp://status.example.com', 'bad_url', { value: 'ftp://status.example.com' }, 'follow'],
    ['follow status.example.com', 'bad_url', { value: 'status.example.com' }, 'follow'],
    ['follow https://a.example https://b.example', 'bad_argument', { value: 'https://b.example' }, 'follow'],
  ])('%j fails with %s', (text, code, params, verb) => {
    const error = errorOf(text);
    expect({ code: error.code, params: error.params, verb: error.verb }).toEqual({ code, params, verb });
  });

  it('accepts text of exactly the limit', () => {
    expect(parseCommand(`update ${'x'.repeat(3000)}`, ctx).command).toEqual({ verb: 'update', text: 'x'.repeat(3000) });
  });
});
