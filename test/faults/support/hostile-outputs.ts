import { XMLValidator } from 'fast-xml-parser';
import MarkdownIt from 'markdown-it';
import { type DefaultTreeAdapterMap, parse } from 'parse5';
import { CARD_VERBS } from '../../../src/chat/teams/cards.ts';
import type { RecordedCall } from '../../helpers/slack/fake-slack.ts';
import type { ConnectorCall } from '../../helpers/teams/connector-server.ts';

/**
 * Checks of every output format against its own grammar: each returns the problems found
 * (empty when the output is safe), and the `…Text` functions return what a reader of that
 * output sees, to check that hostile text kept its meaning.
 */

type Node = DefaultTreeAdapterMap['node'];
type Element = DefaultTreeAdapterMap['element'];

/** Where a string is a mrkdwn text in a Slack call: Block Kit `mrkdwn` objects and the message's top-level `text`. */
function mrkdwnTexts(call: RecordedCall): string[] {
  const found: string[] = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (o.type === 'mrkdwn' && typeof o.text === 'string') found.push(o.text);
      Object.values(o).forEach(walk);
    }
  };
  walk(call.args.blocks);
  walk((call.args.view as { blocks?: unknown } | undefined)?.blocks);
  // Slack reads a message's `text` as mrkdwn too (unless mrkdwn: false).
  if (['chat.postMessage', 'chat.update', 'chat.postEphemeral', 'response_url'].includes(call.method) && typeof call.args.text === 'string') found.push(call.args.text);
  return found;
}

/**
 * Slack: in mrkdwn, `<…>` is a mention, a channel, a broadcast or a link, and `&` starts an
 * entity; user text must reach Slack with `&`, `<`, `>` escaped. The only `<…>` allowed are
 * links tsuiki makes itself to `ownUrl`.
 */
export function slackProblems(calls: readonly RecordedCall[], ownUrl: string): string[] {
  const problems: string[] = [];
  for (const call of calls) {
    for (const text of mrkdwnTexts(call)) {
      const live = [...text.matchAll(/<([^>]*)>/g)].map((m) => m[1]!).filter((inner) => !inner.startsWith(ownUrl));
      if (live.length) problems.push(`${call.method}: live markup ${JSON.stringify(live)}`);
      const bare = [...text.matchAll(/&(?!amp;|lt;|gt;)/g)];
      if (bare.length) problems.push(`${call.method}: unescaped & in ${JSON.stringify(text.slice(0, 120))}`);
    }
  }
  return problems;
}

/** What Slack shows for a call: its texts with the three mrkdwn entities read back, and plain_text as is. */
export function slackText(calls: readonly RecordedCall[]): string {
  const unescape = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  const parts: string[] = [];
  for (const call of calls) {
    parts.push(...mrkdwnTexts(call).map(unescape));
    const walk = (v: unknown) => {
      if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === 'object') {
        const o = v as Record<string, unknown>;
        if (o.type === 'plain_text' && typeof o.text === 'string') parts.push(o.text);
        if (typeof o.initial_value === 'string') parts.push(o.initial_value);
        Object.values(o).forEach(walk);
      }
    };
    walk(call.args.blocks);
    walk(call.args.view);
    if (typeof call.args.topic === 'string') parts.push(call.args.topic);
  }
  return parts.join('\n');
}

/** Adaptive Card elements and actions tsuiki writes; anything else in a card was injected. */
const CARD_TYPES = new Set(['AdaptiveCard', 'RichTextBlock', 'TextRun', 'Container', 'ColumnSet', 'Column', 'Input.Text', 'Input.ChoiceSet', 'Input.Toggle', 'Action.Execute']);
const VERBS = new Set<string>(Object.values(CARD_VERBS));

/** Teams: every card holds only tsuiki's own element types and Action.Execute buttons with its verbs; text messages are plain. */
export function teamsProblems(bodies: readonly unknown[]): string[] {
  const problems: string[] = [];
  const walk = (v: unknown, path: string) => {
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${path}[${i}]`));
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (typeof o.type === 'string' && (o.type.startsWith('Action.') || /^[A-Z]/.test(o.type)) && !CARD_TYPES.has(o.type)) problems.push(`${path}: element ${o.type}`);
      if (o.type === 'Action.Execute' && !VERBS.has(String(o.verb))) problems.push(`${path}: verb ${String(o.verb)}`);
      for (const key of ['url', 'selectAction', 'backgroundImage']) if (key in o) problems.push(`${path}: ${key}`);
      for (const [k, x] of Object.entries(o)) walk(x, `${path}.${k}`);
    }
  };
  for (const body of bodies) {
    const activity = body as { type?: string; text?: string; textFormat?: string; attachments?: { content?: unknown }[] } | undefined;
    if (activity?.type === 'message' && activity.text && activity.textFormat !== 'plain') problems.push(`text message without textFormat plain: ${activity.text.slice(0, 80)}`);
    walk(activity?.attachments?.map((a) => a.content) ?? [], 'card');
  }
  return problems;
}

/** Text as a Teams reader sees it: message texts and every TextRun. */
export function teamsText(bodies: readonly unknown[]): string {
  const parts: string[] = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (o.type === 'TextRun' && typeof o.text === 'string') parts.push(o.text);
      if (o.type === 'Input.Text' && typeof o.value === 'string') parts.push(o.value);
      if (o.type === 'message' && typeof o.text === 'string') parts.push(o.text);
      Object.values(o).forEach(walk);
    }
  };
  bodies.forEach(walk);
  return parts.join('\n');
}

/** The bodies of connector calls and invoke responses, as the Teams client receives them. */
export function teamsBodies(calls: readonly ConnectorCall[]): unknown[] {
  return calls.map((c) => (c.operationId === 'Conversations_CreateConversation' ? c.body.activity : c.body));
}

const DANGEROUS_TAGS = new Set(['script', 'img', 'svg', 'iframe', 'object', 'embed', 'math', 'base', 'frame', 'frameset', 'video', 'audio', 'image']);

function* elements(node: Node): Generator<Element> {
  if ('tagName' in node) yield node;
  const children = 'childNodes' in node ? node.childNodes : [];
  for (const child of children) yield* elements(child);
  if ('content' in node && node.content) yield* elements(node.content as unknown as Node);
}

/**
 * HTML, read by a spec-compliant parser (parse5, as browsers parse): no element that runs or
 * loads anything, no event-handler attribute, no link or form target with a script scheme.
 * `allowedTags` (optional) is the complete set of tags the document may hold.
 */
export function htmlProblems(html: string, allowedTags?: ReadonlySet<string>): string[] {
  const problems: string[] = [];
  for (const el of elements(parse(html) as unknown as Node)) {
    if (DANGEROUS_TAGS.has(el.tagName) || (allowedTags && !allowedTags.has(el.tagName))) problems.push(`<${el.tagName}>`);
    for (const attr of el.attrs) {
      if (/^on/i.test(attr.name)) problems.push(`<${el.tagName} ${attr.name}>`);
      if (['href', 'src', 'action', 'formaction', 'xlink:href'].includes(attr.name) && /^\s*(javascript|data|vbscript):/i.test(attr.value)) problems.push(`<${el.tagName} ${attr.name}=${attr.value}>`);
    }
  }
  return problems;
}

/** The text a browser shows: every text node outside `<style>`, `<script>` and `<head>`. */
export function htmlText(html: string): string {
  const parts: string[] = [];
  const walk = (node: Node) => {
    if ('tagName' in node && ['style', 'script', 'head'].includes(node.tagName)) return;
    if (node.nodeName === '#text') parts.push((node as DefaultTreeAdapterMap['textNode']).value);
    if ('childNodes' in node) node.childNodes.forEach(walk);
  };
  walk(parse(html) as unknown as Node);
  return parts.join('');
}

/** Every attribute value of the document (titles, values of inputs): hostile text may also land there, escaped. */
export function htmlAttributeValues(html: string): string[] {
  return [...elements(parse(html) as unknown as Node)].flatMap((el) => el.attrs.map((a) => a.value));
}

/** Characters outside XML 1.0's `Char` production (§2.2): C0 controls but tab, CR, LF; U+FFFE/U+FFFF; lone surrogates. */
const NOT_XML_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * XML well-formedness: fast-xml-parser's validator for the structure, plus the characters
 * XML 1.0 allows, which that validator does not check (a strict parser such as libxml2
 * rejects the whole document for one of them).
 */
export function xmlProblems(xml: string): string[] {
  const result = XMLValidator.validate(xml);
  const problems = result === true ? [] : [`${result.err.code} at ${result.err.line}:${result.err.col}: ${result.err.msg}`];
  const bad = [...xml.matchAll(NOT_XML_CHAR)].map((m) => `U+${m[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')} at ${m.index}`);
  if (bad.length) problems.push(`characters XML 1.0 forbids: ${bad.slice(0, 5).join(', ')}`);
  return problems;
}

const markdown = new MarkdownIt({ html: true, linkify: true });
type Tokens = ReturnType<typeof markdown.parse>;

/**
 * Markdown, read by a CommonMark parser with raw HTML and linkify on (as GitHub and most
 * renderers are): no HTML block or inline HTML, no image, and no link but a bare http(s) URL
 * or e-mail address shown as itself (linkify) — a typed URL stays a URL; a link whose text hides where it goes
 * (`[click](…)`, `<…>`) was injected.
 */
export function markdownProblems(source: string): string[] {
  const problems: string[] = [];
  const walk = (tokens: Tokens) => {
    for (const token of tokens) {
      if (token.type === 'html_block' || token.type === 'html_inline') problems.push(`${token.type}: ${token.content.slice(0, 80)}`);
      const href = String(token.attrGet('href') ?? '');
      if (token.type === 'link_open' && !(token.markup === 'linkify' && /^(https?:\/\/|mailto:)/.test(href))) problems.push(`${token.markup || 'inline'} link to ${href}`);
      if (token.type === 'image') problems.push(`image ${token.attrGet('src')}`);
      if (token.children) walk(token.children);
    }
  };
  walk(markdown.parse(source, {}));
  return problems;
}

/** The text a Markdown reader sees: text and code spans, emphasis markers gone. */
export function markdownText(source: string): string {
  const parts: string[] = [];
  const walk = (tokens: Tokens) => {
    for (const token of tokens) {
      if (token.type === 'text' || token.type === 'code_inline') parts.push(token.content);
      if (token.type === 'softbreak' || token.type === 'hardbreak') parts.push('\n');
      if (token.children) walk(token.children);
    }
  };
  walk(markdown.parse(source, {}));
  return parts.join('');
}

/** Header names of a raw mail (unfolded), lower-cased, in order. */
export function mailHeaderNames(raw: string): string[] {
  const head = raw.split(/\r?\n\r?\n/)[0]!;
  return head
    .split(/\r?\n(?![ \t])/)
    .map((line) => line.split(':')[0]!.trim().toLowerCase())
    .filter(Boolean);
}
