import { INCIDENT_VERBS, type ChatUserRef, type Command, type ParseContext, type ParsedCommand, type Verb } from './command.ts';
import { DomainError, isDomainError } from './errors.ts';
import {
  MAX_TEXT_LENGTH,
  MAX_TITLE_LENGTH,
  SETTABLE_STATUSES,
  severityFromNumber,
  type Impact,
  type SettableMoment,
  type SettableStatus,
  type Severity,
} from './model.ts';
import { parseMaintenance } from './maintenance.ts';
import { isBareClock, resolveTimeExpression } from './time.ts';

/** Every word that names a verb, as matched after NFKC and lowercasing; adding an alias is adding a row. */
export const VERB_ALIASES: Readonly<Record<string, Verb>> = {
  help: 'help', ヘルプ: 'help',
  declare: 'declare', 宣言: 'declare',
  update: 'update', note: 'update', 追記: 'update', メモ: 'update',
  status: 'status', 状態: 'status', ステータス: 'status',
  publish: 'publish', 公開: 'publish',
  severity: 'severity', sev: 'severity', 重大度: 'severity',
  components: 'components', component: 'components', 影響: 'components', コンポーネント: 'components',
  assign: 'assign', 担当: 'assign', 割当: 'assign',
  started: 'started', 開始: 'started',
  detected: 'detected', 検知: 'detected',
  mitigated: 'mitigated', 緩和: 'mitigated',
  cause: 'cause', 原因: 'cause',
  action: 'action', 対策: 'action', アクション: 'action',
  remind: 'remind', リマインド: 'remind',
  snooze: 'snooze', スヌーズ: 'snooze',
  summary: 'summary', 要約: 'summary', 概要: 'summary',
  timeline: 'timeline', 経過: 'timeline', タイムライン: 'timeline',
  list: 'list', 一覧: 'list',
  close: 'close', 終了: 'close', クローズ: 'close',
  postmortem: 'postmortem', 振り返り: 'postmortem', ポストモーテム: 'postmortem',
  follow: 'follow', フォロー: 'follow',
  reopen: 'reopen', 再開: 'reopen', リオープン: 'reopen',
  maintenance: 'maintenance', メンテナンス: 'maintenance', メンテ: 'maintenance',
  web: 'web', ウェブ: 'web', ログイン: 'web',
};

const STATUS_WORDS: Readonly<Record<string, SettableStatus>> = {
  investigating: 'investigating', 調査中: 'investigating',
  identified: 'identified', 原因特定: 'identified', 特定: 'identified',
  monitoring: 'monitoring', 経過観察: 'monitoring', 経過観察中: 'monitoring', 監視中: 'monitoring',
  resolved: 'resolved', 解決: 'resolved', 解決済み: 'resolved', 復旧: 'resolved',
};

const IMPACT_WORDS: Readonly<Record<string, Impact>> = {
  degraded_performance: 'degraded_performance', degraded: 'degraded_performance',
  性能低下: 'degraded_performance', パフォーマンス低下: 'degraded_performance',
  partial_outage: 'partial_outage', partial: 'partial_outage', 一部停止: 'partial_outage', 部分停止: 'partial_outage',
  major_outage: 'major_outage', major: 'major_outage', 全面停止: 'major_outage',
};

/** Roles are free-form; these only translate the Japanese names of the well-known ones. */
const ROLE_ALIASES: Readonly<Record<string, string>> = { 指揮者: 'commander', 広報: 'comms', 記録: 'scribe' };

/** Words that introduce a back-dating time: `update at 22:25 ...`, `追記 時刻 22:25 ...`. */
const AT_WORDS = new Set(['at', '時刻']);

const DECLARE_OPTIONS = {
  sev: 'severity', severity: 'severity',
  components: 'components', component: 'components',
  private: 'private', started: 'started', summary: 'summary',
} as const;
type DeclareOption = (typeof DECLARE_OPTIONS)[keyof typeof DECLARE_OPTIONS];

const INCIDENT_REF = /^#?inc-([1-9]\d{0,8})$/;
const COMPONENT_ID = /^[a-z0-9][a-z0-9_-]*$/;
const SLACK_MENTION = /^<@([A-Z0-9]+)(?:\|([^>]*))?>$/i;
const TEAMS_MENTION = /^<at>(.*)<\/at>$/is;
// Loose shapes: anything shaped like a time is handed to resolveTimeExpression, which gives
// `bad_time` for `25:00` instead of the word silently becoming part of the text.
const CLOCK_SHAPE = /^\d{1,2}:\d+(?::\d+)?$/;
const MONTH_DAY_SHAPE = /^\d{1,2}\/\d{1,2}$/;
const ISO_SHAPE = /^\d{4}-\d{1,2}-\d{1,2}/;

interface Word {
  /** As typed. */
  raw: string;
  /** NFKC and lowercase, for matching command words. */
  key: string;
  start: number;
  end: number;
}

/** The words of a command with their offsets, so free text can be cut from the source exactly as typed. */
class Args {
  constructor(
    private readonly source: string,
    private readonly words: readonly Word[],
  ) {}

  get length(): number {
    return this.words.length;
  }

  at(i: number): Word | undefined {
    return this.words[i];
  }

  slice(start: number, end?: number): Args {
    return new Args(this.source, this.words.slice(start, end));
  }

  /** The source from the first word to the last, inner spacing and line breaks untouched. */
  text(): string {
    const first = this.words[0];
    const last = this.words.at(-1);
    return first && last ? this.source.slice(first.start, last.end) : '';
  }
}

type VerbParser = (args: Args, ctx: ParseContext) => Command;

/**
 * Parses the text after `/incident` (or after the Teams @mention) into a validated command,
 * throwing a DomainError that carries the verb whose usage should be shown.
 */
export function parseCommand(text: string, ctx: ParseContext): ParsedCommand {
  let args = tokenize(text);
  if (args.at(0)?.key === '/incident') args = args.slice(1);

  let refWord = incidentRef(args.at(0)) === undefined ? undefined : args.at(0);
  if (refWord) args = args.slice(1);

  const verbWord = args.at(0);
  if (!verbWord) {
    if (refWord) throw new DomainError('missing_argument', { argument: 'verb' });
    return { command: { verb: 'help' } };
  }
  const verb = lookup(VERB_ALIASES, verbWord.key);
  if (!verb) throw new DomainError('unknown_verb', { verb: verbWord.raw });
  args = args.slice(1);
  // A reference before the verb wins; after it, a second `INC-n` is ordinary text.
  if (!refWord && incidentRef(args.at(0)) !== undefined) {
    refWord = args.at(0);
    args = args.slice(1);
  }

  try {
    const incidentNumber = incidentRef(refWord);
    if (incidentNumber !== undefined && !INCIDENT_VERBS.includes(verb)) {
      throw new DomainError('bad_argument', { value: refWord?.raw ?? '' });
    }
    const command = PARSERS[verb](args, ctx);
    return incidentNumber === undefined ? { command } : { command, incidentNumber };
  } catch (e) {
    throw isDomainError(e) ? e.withVerb(verb) : e;
  }
}

const PARSERS: Readonly<Record<Verb, VerbParser>> = {
  help: (args) => {
    // Extra words after the topic are ignored: someone asking for help should get it.
    const word = args.at(0);
    if (!word) return { verb: 'help' };
    const topic = lookup(VERB_ALIASES, word.key);
    if (!topic) throw new DomainError('unknown_verb', { verb: word.raw });
    return { verb: 'help', topic };
  },
  declare: parseDeclare,
  update: (args, ctx) => {
    const { at, bareClock, rest } = takeBackdate(args, ctx);
    return { verb: 'update', text: requireText(rest.text()), ...(at && { at }), ...(bareClock && { bareClock }) };
  },
  status: (args, ctx) => {
    const word = args.at(0);
    if (!word) throw new DomainError('missing_argument', { argument: 'status' });
    const status = lookup(STATUS_WORDS, word.key);
    // `closed` lands here too: it is reached only through `close`.
    if (!status) throw new DomainError('bad_status', { value: word.raw, allowed: SETTABLE_STATUSES.join(', ') });
    const { at, bareClock, rest } = takeBackdate(args.slice(1), ctx);
    const publicText = limitText(rest.text(), MAX_TEXT_LENGTH);
    return { verb: 'status', status, ...(publicText && { publicText }), ...(at && { at }), ...(bareClock && { bareClock }) };
  },
  publish: (args) => ({ verb: 'publish', text: requireText(args.text()) }),
  severity: (args) => {
    const word = args.at(0);
    if (!word) throw new DomainError('missing_argument', { argument: 'severity' });
    rejectExtra(args, 1);
    return { verb: 'severity', severity: parseSeverity(word) };
  },
  components: (args) => {
    if (args.length === 0) throw new DomainError('missing_argument', { argument: 'components' });
    const list = takeList(args, 0, '');
    const components = componentIds(list.value);
    const impactWord = args.at(list.next);
    rejectExtra(args, list.next + 1);
    if (!impactWord) return { verb: 'components', components };
    const impact = lookup(IMPACT_WORDS, impactWord.key);
    if (!impact) throw new DomainError('bad_impact', { value: impactWord.raw });
    return { verb: 'components', components, impact };
  },
  assign: (args, ctx) => {
    const roleWord = args.at(0);
    // `assign @taro` names a person but no role.
    if (!roleWord || mentionOf(roleWord.raw) || decodedMentionAtStart(args.text(), ctx)) throw new DomainError('missing_argument', { argument: 'role' });
    const userText = args.slice(1).text();
    if (!userText) throw new DomainError('missing_argument', { argument: 'user' });
    const decoded = ctx.mentions?.find((m) => m.display === userText.trim());
    const user = decoded ? { id: decoded.id, display: decoded.display } : parseUser(userText);
    return { verb: 'assign', role: lookup(ROLE_ALIASES, roleWord.key) ?? roleWord.key, user };
  },
  started: (args, ctx) => parseMoment('started', args, ctx),
  detected: (args, ctx) => parseMoment('detected', args, ctx),
  mitigated: (args, ctx) => parseMoment('mitigated', args, ctx),
  cause: (args) => ({ verb: 'cause', text: requireText(args.text()) }),
  action: (args, ctx) => {
    // A decoded mention (`@Taro Yamada`, perhaps several words) ending the text names the owner.
    const all = args.text();
    const decoded = ctx.mentions?.find((m) => all.endsWith(m.display) && /(^|\s)$/u.test(all.slice(0, all.length - m.display.length)));
    if (decoded) {
      const text = requireText(all.slice(0, all.length - decoded.display.length).trimEnd());
      return { verb: 'action', text, owner: { id: decoded.id, display: decoded.display } };
    }
    const last = args.at(args.length - 1);
    const owner = last && mentionOf(last.raw);
    const text = requireText((owner ? args.slice(0, -1) : args).text());
    return owner ? { verb: 'action', text, owner } : { verb: 'action', text };
  },
  remind: (args) => {
    const word = args.at(0);
    if (!word) throw new DomainError('missing_argument', { argument: 'minutes' });
    rejectExtra(args, 1);
    // `30m` and `30分` are accepted because people type the unit.
    const match = /^(\d{1,4})(?:m|min|mins|minutes|分)?$/.exec(word.key);
    const minutes = Number(match?.[1]);
    if (!match || minutes < 1 || minutes > 1440) throw new DomainError('bad_minutes', { value: word.raw });
    return { verb: 'remind', minutes };
  },
  snooze: (args, ctx) => ({ verb: 'snooze', minutes: (PARSERS.remind(args, ctx) as { minutes: number }).minutes }),
  summary: noArguments('summary'),
  timeline: noArguments('timeline'),
  list: noArguments('list'),
  web: noArguments('web'),
  close: (args) => {
    const finalText = limitText(args.text(), MAX_TEXT_LENGTH);
    return finalText ? { verb: 'close', finalText } : { verb: 'close' };
  },
  postmortem: noArguments('postmortem'),
  reopen: (args) => {
    const reason = limitText(args.text(), MAX_TEXT_LENGTH);
    return reason ? { verb: 'reopen', reason } : { verb: 'reopen' };
  },
  follow: (args) => {
    const word = args.at(0);
    if (!word) throw new DomainError('missing_argument', { argument: 'url' });
    rejectExtra(args, 1);
    // Slack sends links as `<https://x|label>` when escaping is on.
    const url = /^<([^|>]+)(?:\|[^>]*)?>$/.exec(word.raw)?.[1] ?? word.raw;
    if (!isHttpUrl(url)) throw new DomainError('bad_url', { value: word.raw });
    return { verb: 'follow', url };
  },
  maintenance: (args, ctx) => parseMaintenance(args.text(), ctx),
};

function parseDeclare(args: Args, ctx: ParseContext): Command {
  if (args.length === 0) return { verb: 'declare', form: true };
  const titleParts: string[] = [];
  const seen = new Set<DeclareOption>();
  let severity: Severity | undefined;
  let components: string[] = [];
  let isPrivate = false;
  let started: Date | undefined;
  let summary: string | undefined;

  let i = 0;
  while (i < args.length) {
    const option = optionAt(args, i);
    if (!option) {
      // A run of non-option words is one piece of the title, cut from the source as typed.
      let end = i + 1;
      while (end < args.length && !optionAt(args, end)) end++;
      titleParts.push(args.slice(i, end).text());
      i = end;
      continue;
    }
    const word = args.at(i) as Word;
    if (seen.has(option.name)) throw new DomainError('bad_argument', { value: word.raw });
    seen.add(option.name);
    i++;
    switch (option.name) {
      case 'private':
        if (option.inline !== undefined) throw new DomainError('bad_argument', { value: word.raw });
        isPrivate = true;
        break;
      case 'severity': {
        const value = option.inline !== undefined ? { raw: option.inline, key: option.inline } : valueWord(args, i++);
        if (!value?.key) throw new DomainError('missing_argument', { argument: 'severity' });
        severity = parseSeverity(value);
        break;
      }
      case 'components': {
        if (option.inline === '' || (option.inline === undefined && !valueWord(args, i))) {
          throw new DomainError('missing_argument', { argument: 'components' });
        }
        const list = takeList(args, i, option.inline ?? '');
        components = componentIds(list.value);
        i = list.next;
        break;
      }
      case 'started': {
        const inline = option.inline;
        // `--started=2/27 0:20` continues into the next word like `--started 2/27 0:20` does.
        const spill = inline !== undefined && MONTH_DAY_SHAPE.test(inline) && CLOCK_SHAPE.test(args.at(i)?.key ?? '');
        const count = inline !== undefined ? (spill ? 1 : 0) : timeWordCount(args, i) || (valueWord(args, i) ? 1 : 0);
        const expression = [inline, args.slice(i, i + count).text()].filter(Boolean).join(' ');
        if (!expression) throw new DomainError('missing_argument', { argument: 'time' });
        started = resolveTimeExpression(expression, ctx);
        i += count;
        break;
      }
      case 'summary': {
        // The summary runs to the next option, so options may still follow it.
        let end = i;
        while (end < args.length && !optionAt(args, end)) end++;
        const text = [option.inline !== undefined ? inlineRaw(word) : '', args.slice(i, end).text()]
          .filter(Boolean)
          .join(' ');
        summary = requireText(text, 'summary');
        i = end;
        break;
      }
    }
  }

  const title = titleParts.join(' ');
  if (!title) throw new DomainError('missing_argument', { argument: 'title' });
  return {
    verb: 'declare',
    form: false,
    title: limitText(title, MAX_TITLE_LENGTH),
    components,
    visibility: isPrivate ? 'private' : 'public',
    ...(severity && { severity }),
    ...(started && { started }),
    ...(summary && { summary }),
  };
}

function parseMoment(verb: SettableMoment, args: Args, ctx: ParseContext): Command {
  // `started at 22:25` reads naturally, so a leading `at` is allowed.
  const rest = args.at(0) && AT_WORDS.has((args.at(0) as Word).key) ? args.slice(1) : args;
  const expression = rest.text();
  if (!expression) throw new DomainError('missing_argument', { argument: 'time' });
  const at = resolveTimeExpression(expression, ctx);
  return isBareClock(expression) ? { verb, at, bareClock: true } : { verb, at };
}

/** Own keys only, so words like `constructor` or `__proto__` never match Object.prototype. */
function lookup<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

function tokenize(text: string): Args {
  // JavaScript's \s includes U+3000, so full-width spaces separate words too.
  const words = [...text.matchAll(/\S+/gu)].map((m) => ({
    raw: m[0],
    key: m[0].normalize('NFKC').toLowerCase(),
    start: m.index,
    end: m.index + m[0].length,
  }));
  return new Args(text, words);
}

function incidentRef(word: Word | undefined): number | undefined {
  const match = word && INCIDENT_REF.exec(word.key);
  return match ? Number(match[1]) : undefined;
}

/**
 * An option at word i: anything starting with `--` (unknown ones are errors), or a known
 * option after the dashes that chat clients and IMEs substitute for `--` (macOS turns `--`
 * into `—`; a Japanese IME types `ーー`).
 */
function optionAt(args: Args, i: number): { name: DeclareOption; inline?: string } | undefined {
  const word = args.at(i);
  const match = word && /^(--|—|–|ーー)([^=]+)(?:=(.*))?$/su.exec(word.key);
  if (!word || !match) return undefined;
  const name = lookup<DeclareOption>(DECLARE_OPTIONS, match[2] as string);
  if (!name) {
    if (match[1] === '--') throw new DomainError('bad_option', { option: word.raw });
    return undefined;
  }
  return match[3] === undefined ? { name } : { name, inline: match[3] };
}

/** The word at i when it exists and is not itself an option. */
function valueWord(args: Args, i: number): Word | undefined {
  return optionAt(args, i) ? undefined : args.at(i);
}

/** The raw text after `=` in `--summary=...`, located in the raw word so nothing is normalised. */
function inlineRaw(word: Word): string {
  return word.raw.slice(word.raw.search(/[=＝]/u) + 1);
}

/** How many words from i spell a time: two for `M/D HH:MM`, one for other time-shaped words, else zero. */
function timeWordCount(args: Args, i: number): 0 | 1 | 2 {
  const key = args.at(i)?.key ?? '';
  if (MONTH_DAY_SHAPE.test(key)) return CLOCK_SHAPE.test(args.at(i + 1)?.key ?? '') ? 2 : 1;
  return CLOCK_SHAPE.test(key) || ISO_SHAPE.test(key) ? 1 : 0;
}

/** A leading `at TIME` back-dates; `at` followed by something that is not a time stays text. */
function takeBackdate(args: Args, ctx: ParseContext): { at?: Date; bareClock?: true; rest: Args } {
  const first = args.at(0);
  if (!first || !AT_WORDS.has(first.key)) return { rest: args };
  const count = timeWordCount(args, 1);
  if (count === 0) return { rest: args };
  const expression = args.slice(1, 1 + count).text();
  const at = resolveTimeExpression(expression, ctx);
  return { at, ...(isBareClock(expression) && { bareClock: true as const }), rest: args.slice(1 + count) };
}

/** A comma-separated list starting at word i, also when spaces follow or precede the commas (`api, console`). */
function takeList(args: Args, i: number, initial: string): { value: string; next: number } {
  let value = initial;
  let next = i;
  if (!value) value = args.at(next++)?.key ?? '';
  while (next < args.length && (/[,、]$/u.test(value) || /^[,、]/u.test(args.at(next)?.key ?? ''))) {
    value += args.at(next++)?.key ?? '';
  }
  return { value, next };
}

/** Lowercase component ids from a comma list, deduplicated in the order given; a malformed id is a `bad_argument`. */
export function componentIds(list: string): string[] {
  const ids = list.split(/[,、]/u).map((s) => s.trim().toLowerCase()).filter(Boolean);
  if (ids.length === 0) throw new DomainError('missing_argument', { argument: 'components' });
  const bad = ids.find((id) => !COMPONENT_ID.test(id));
  if (bad !== undefined) throw new DomainError('bad_argument', { value: bad });
  return [...new Set(ids)];
}

function parseSeverity(word: Pick<Word, 'raw' | 'key'>): Severity {
  const match = /^(?:sev-?)?([1-4])$/.exec(word.key.normalize('NFKC').toLowerCase());
  const severity = match ? severityFromNumber(Number(match[1])) : undefined;
  if (!severity) throw new DomainError('bad_severity', { value: word.raw });
  return severity;
}

/** Whether the text starts with a decoded mention (`assign @Taro Yamada` names no role). */
function decodedMentionAtStart(text: string, ctx: ParseContext): boolean {
  return Boolean(ctx.mentions?.some((m) => text.startsWith(m.display)));
}

/** A mention as the last word of `action` or the first of `assign`: Slack `<@U..>` or `@name`. */
function mentionOf(raw: string): ChatUserRef | undefined {
  const slack = SLACK_MENTION.exec(raw);
  if (slack) return slack[2] ? { id: slack[1] as string, display: `@${slack[2]}` } : { id: slack[1] as string, display: raw };
  return /^@\S+$/u.test(raw) ? { display: raw } : undefined;
}

/**
 * The person in `assign`: a Slack mention (with its id), a Teams `<at>` tag, or whatever
 * text remains once the platform stripped the mention (`@name`, `Taro Yamada`).
 */
function parseUser(text: string): ChatUserRef {
  const mention = mentionOf(text);
  if (mention) return mention;
  if (text.startsWith('<@')) throw new DomainError('bad_argument', { value: text });
  const teams = TEAMS_MENTION.exec(text);
  return { display: limitText(teams ? (teams[1] as string).trim() : text, MAX_TITLE_LENGTH) };
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

function noArguments<V extends 'summary' | 'timeline' | 'list' | 'postmortem' | 'web'>(verb: V): VerbParser {
  return (args) => {
    rejectExtra(args, 0);
    return { verb };
  };
}

function rejectExtra(args: Args, from: number): void {
  const extra = args.slice(from).text();
  if (extra) throw new DomainError('bad_argument', { value: extra });
}

function requireText(text: string, argument = 'text'): string {
  if (!text) throw new DomainError('missing_argument', { argument });
  return limitText(text, MAX_TEXT_LENGTH);
}

/** Limits count UTF-16 units, which is never less than what Slack and Teams count, so accepted text always fits. */
function limitText(text: string, max: number): string {
  if (text.length > max) throw new DomainError('text_too_long', { max });
  return text;
}
