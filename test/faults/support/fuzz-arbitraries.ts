import fc from 'fast-check';
import { VERB_ALIASES } from '../../../src/core/command-parser.ts';

/**
 * Arbitraries for the fuzzer: valid grammar (verbs in English and Japanese, `INC-n`,
 * `at HH:MM`, options, full-width forms) mixed with garbage (any code point, lone
 * surrogates, control characters, mentions, huge and empty strings).
 */

const toFullWidth = (s: string) => s.replace(/[!-~]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));

/** A word that may change meaning: as typed, upper-cased or in full-width forms. */
const variant = (word: fc.Arbitrary<string>) =>
  fc.tuple(word, fc.constantFrom('as-is', 'upper', 'full-width')).map(([w, how]) => (how === 'upper' ? w.toUpperCase() : how === 'full-width' ? toFullWidth(w) : w));

const verb = variant(fc.constantFrom(...Object.keys(VERB_ALIASES)));
const incidentRef = variant(fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 1, max: 3 }) }, fc.integer({ min: 0, max: 12 }), fc.integer({ min: 1, max: 2_000_000_000 })).map((n) => `INC-${n}`));
const clock = fc
  .oneof({ weight: 4, arbitrary: fc.tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 })) }, fc.tuple(fc.integer({ min: 0, max: 99 }), fc.integer({ min: 0, max: 99 })))
  .map(([h, m]) => `${h}:${String(m).padStart(2, '0')}`);
const time = fc.oneof(
  clock.map((c) => `at ${c}`),
  variant(clock).map((c) => `時刻 ${c}`),
  fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString()),
  // The test clocks stand at 2026-02-26T15:00Z: mostly times before it.
  fc.date({ min: new Date('2026-02-25T00:00:00Z'), max: new Date('2026-02-26T15:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString()),
  fc.tuple(fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 32 }), clock).map(([mo, d, c]) => `${mo}/${d} ${c}`),
);
const option = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('--sev 1', '--sev 4', '--private', '--components api,console', '--started 22:25', '--summary users cannot log in') },
  fc.integer({ min: -1, max: 6 }).map((n) => `--sev ${n}`),
  fc.constantFrom('--private', '--sev', '--components', '--started', '--summary', '—private', 'ーーsev 2', '--bogus', '--', '--='),
  fc.array(fc.constantFrom('api', 'console', 'db', 'API', 'コンソール', 'a b', '', '-x'), { maxLength: 4 }).map((c) => `--components ${c.join(',')}`),
  clock.map((c) => `--started ${c}`),
  fc.string({ maxLength: 20 }).map((s) => `--summary ${s}`),
);
const word = fc.constantFrom(
  'investigating', 'identified', 'monitoring', 'resolved', '原因特定', '復旧', 'degraded', 'major_outage', '全面停止',
  'commander', 'comms', '指揮者', '1', '4', '０', '30', '-5', '99999999999999999999', 'https://status.example.com', 'api,console',
);
const mention = fc.oneof(
  fc.constantFrom('<!channel>', '<!here>', '<@U0TARO0001>', '<@U123|taro>', '<#C123|general>', '<at>tsuiki</at>', '<https://evil.example|click>'),
  fc.string({ maxLength: 8 }).map((s) => `<@${s}>`),
);
const controlChar = fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c));
const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
const oddChar = fc.constantFrom('\u202e', '\u2066', '\u200b', '\ufeff', '\u00a0', '\u3000', '\u2028', '\r\n', '\u0000', '\uffff', '😀', 'é', '𠮷');
const garbage = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.string({ unit: fc.oneof(controlChar, loneSurrogate, oddChar), maxLength: 10 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
);
const separator = fc.constantFrom(' ', ' ', ' ', '  ', '\n', '\t', '\u3000', '');

/** Free text of a note or update: words, Japanese, numbers and times, sometimes garbage or mentions. */
const freeText = fc
  .array(fc.oneof({ weight: 4, arbitrary: fc.constantFrom('DB', 'failover', 'started', 'エラー率', '上昇', '復旧しました', '40%', '250 ms', '22:25', 'https://status.example.com', 'INC-1', '`code`', '*bold*') }, word, mention, garbage), { minLength: 1, maxLength: 6 })
  .map((w) => w.join(' '));
const maybe = (a: fc.Arbitrary<string>) => fc.option(a, { nil: '' });
const say = (...parts: fc.Arbitrary<string>[]) => fc.tuple(...parts).map((p) => p.filter(Boolean).join(' '));
const v = (...names: string[]) => variant(fc.constantFrom(...names));

/** Commands shaped like the grammar of PRODUCT.md, so the fuzzer reaches the use cases and not only the parser's errors. */
const grammatical: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: say(v('update', 'note', '追記', 'メモ'), maybe(time), freeText) },
  say(v('status', '状態'), v('investigating', 'identified', 'monitoring', 'resolved', '原因特定', '復旧', 'bogus'), maybe(time), maybe(freeText)),
  { weight: 2, arbitrary: say(v('publish', '公開'), freeText) },
  say(v('severity', 'sev', '重大度'), fc.constantFrom('1', '2', '3', '4', '１', 'SEV2', '5', '0')),
  say(v('components', '影響'), fc.constantFrom('api', 'console', 'api,console', 'api, db', 'API!', ''), maybe(v('degraded', 'partial_outage', 'major', '全面停止', 'worse'))),
  say(v('assign', '担当'), v('commander', 'comms', 'scribe', '指揮者', 'reviewer'), mention),
  say(v('started', 'detected', 'mitigated', '開始', '検知', '緩和'), fc.oneof(time, clock)),
  { weight: 2, arbitrary: say(v('cause', '原因'), freeText) },
  say(v('action', '対策'), freeText, maybe(mention)),
  say(v('remind', 'snooze', 'リマインド'), fc.constantFrom('30', '5', '0', '-1', '1441', '３０', 'x')),
  v('summary', 'timeline', 'list', 'postmortem', '要約', '経過', '一覧', 'help', 'ヘルプ'),
  say(v('help'), verb),
  { weight: 3, arbitrary: say(v('declare', '宣言'), freeText, maybe(option), maybe(option)) },
  say(v('close', '終了'), maybe(freeText)),
);

/** One command line as someone (or something) might type it after `/incident`. */
export const commandText: fc.Arbitrary<string> = fc.oneof(
  { weight: 8, arbitrary: fc.tuple(fc.option(incidentRef, { freq: 2, nil: '' }), grammatical).map(([ref, c]) => (ref ? `${ref} ${c}` : c)) },
  { weight: 4, arbitrary: fc.array(fc.oneof({ weight: 3, arbitrary: verb }, incidentRef, time, option, word, mention, { weight: 2, arbitrary: garbage }), { maxLength: 8 }).chain((words) =>
    fc.array(separator, { minLength: words.length, maxLength: words.length }).map((seps) => words.map((w, i) => w + seps[i]).join('')),
  ) },
  { weight: 1, arbitrary: garbage },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', '\n', '\u0000', '/incident', '/incident /incident help') },
  { weight: 1, arbitrary: fc.tuple(verb, fc.integer({ min: 2_990, max: 6_000 }), fc.constantFrom('x', 'あ', '😀', '&', '<')).map(([v, n, c]) => `${v} ${c.repeat(n)}`) },
);

/** Free text with declare options in it (`API down --private --sev 1`): for form fields, where options mean nothing. */
export const optionLikeText: fc.Arbitrary<string> = say(freeText, option, maybe(option), maybe(freeText));

/** Text for a form field: anything, sometimes empty or null, sometimes huge. */
export const fieldValue: fc.Arbitrary<string | null | undefined> = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: garbage },
  { weight: 1, arbitrary: fc.constantFrom(null, undefined, '', '   ') },
  { weight: 1, arbitrary: fc.integer({ min: 150, max: 3_200 }).map((n) => 'w'.repeat(n)) },
  { weight: 1, arbitrary: fc.array(fc.oneof(fc.constantFrom('api', 'console', 'db-1', 'API', 'a_b'), garbage), { maxLength: 4 }).map((a) => a.join(',')) },
);

/** What a select element may hold: a valid option, a wrong one, or none at all. */
export const selectedOption = (valid: readonly string[]) =>
  fc.oneof(fc.constantFrom(...valid).map((value) => ({ value })), fc.string({ maxLength: 10 }).map((value) => ({ value })), fc.constant(null), fc.constant(undefined));

/** A JSON value of any shape, for fields that should be objects and may not be. */
export const anyJson: fc.Arbitrary<unknown> = fc.oneof(fc.constant(null), fc.string({ maxLength: 10 }), fc.integer(), fc.boolean(), fc.array(fc.string({ maxLength: 5 }), { maxLength: 2 }), fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 2 }));
