import type { MessageAction, NeutralMessage } from '../message.ts';

/** Slack's Block Kit limits that a message must respect to be accepted. */
export const LIMITS = {
  blocks: 50,
  sectionText: 3000,
  fieldText: 2000,
  fieldsPerSection: 10,
  headerText: 150,
  buttonText: 75,
  buttonValue: 2000,
  /** Notification text: Slack accepts far more, but a longer fallback helps nobody. */
  text: 3000,
} as const;

/** A Block Kit block; kept structural so rendering needs no SDK types. */
export type Block = Record<string, unknown> & { type: string };

/** What chat.postMessage / chat.update / response_url take for one message. */
export interface SlackMessage {
  text: string;
  blocks: Block[];
}

/**
 * Escapes text for mrkdwn: `&`, `<` and `>` are the only characters Slack interprets as
 * markup (`<!channel>`, `<@U…>`, `<url|label>`); escaped, what a user typed stays typed text.
 */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Cuts text to `max` characters (code points), marking the cut with an ellipsis. */
export function truncate(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

/**
 * Splits text into pieces of at most `max` characters, preferring line breaks, then spaces,
 * so a long timeline or postmortem becomes several sections instead of a rejected message.
 * Escaping may lengthen text, so callers split after escaping.
 */
export function splitText(text: string, max: number = LIMITS.sectionText): string[] {
  const pieces: string[] = [];
  let rest = text;
  while (rest.length > max) {
    let cut = rest.lastIndexOf('\n', max);
    if (cut < max / 2) cut = rest.lastIndexOf(' ', max);
    if (cut < max / 2) cut = max;
    // Never cut inside an escape entity such as `&amp;`.
    const amp = rest.lastIndexOf('&', cut);
    if (amp > cut - 5 && amp >= 0 && !rest.slice(amp, cut).includes(';')) cut = amp > 0 ? amp : cut;
    // Nor between the two halves of a surrogate pair.
    if (/[\uD800-\uDBFF]/.test(rest[cut - 1] ?? '')) cut--;
    pieces.push(rest.slice(0, cut));
    rest = rest.slice(cut).replace(/^\n/, '');
  }
  if (rest.length > 0 || pieces.length === 0) pieces.push(rest);
  return pieces;
}

const mrkdwn = (text: string) => ({ type: 'mrkdwn', text });
const plain = (text: string) => ({ type: 'plain_text', text, emoji: true });

function button(action: MessageAction): Record<string, unknown> {
  return {
    type: 'button',
    action_id: action.id,
    text: plain(truncate(action.label, LIMITS.buttonText)),
    value: action.value.slice(0, LIMITS.buttonValue),
    ...(action.style ? { style: action.style } : {}),
  };
}

/** Options of {@link renderMessage}. */
export interface RenderOptions {
  /** Says how much did not fit (`count` characters left out) and, `withLink`, that the link below has it all; localized. */
  truncatedNote: (count: number, withLink: boolean) => string;
  /** Where the whole content can be read when it did not fit (the incident's full timeline). */
  moreUrl?: string | undefined;
}

/** Characters of the text a block shows (entities counted as the one character they stand for). */
function shownLength(block: Block): number {
  const texts: string[] = [];
  const text = (block.text as { text?: string } | undefined)?.text;
  if (text) texts.push(text);
  for (const f of (block.fields as { text: string }[] | undefined) ?? []) texts.push(f.text);
  return texts.reduce((n, t) => n + [...t.replace(/&(?:amp|lt|gt);/g, '&')].length, 0);
}

/**
 * A neutral message as Block Kit: title → header, lines → mrkdwn sections (escaped, split at
 * 3,000 characters), fields → sections of ten fields, actions → one actions block. Past 50
 * blocks the tail is dropped for a note saying how many characters were left out, with a link
 * to where they can be read when there is one; the buttons are always kept.
 */
export function renderMessage(message: NeutralMessage, options: RenderOptions): SlackMessage {
  const body: Block[] = [];
  if (message.title) body.push({ type: 'header', text: plain(truncate(message.title, LIMITS.headerText)) });
  const lines = message.lines ?? (message.title ? [] : [message.text]);
  for (const line of lines) {
    if (!line.trim()) continue;
    for (const piece of splitText(escapeMrkdwn(line))) body.push({ type: 'section', text: mrkdwn(piece) });
  }
  const fields = message.fields ?? [];
  for (let i = 0; i < fields.length; i += LIMITS.fieldsPerSection) {
    body.push({
      type: 'section',
      fields: fields
        .slice(i, i + LIMITS.fieldsPerSection)
        .map((f) => mrkdwn(truncate(`*${escapeMrkdwn(f.label)}*\n${escapeMrkdwn(f.value)}`, LIMITS.fieldText))),
    });
  }
  const tail: Block[] = [];
  // Links (the signed postmortem pages) are kept like buttons; `&` in a URL is written `&amp;` as in any mrkdwn.
  if (message.links?.length) {
    const links = message.links.map((l) => `<${escapeMrkdwn(l.url)}|${escapeMrkdwn(l.label).replace(/\|/g, '¦')}>`).join('\n');
    tail.push({ type: 'section', text: mrkdwn(truncate(links, LIMITS.sectionText)) });
  }
  if (message.actions?.length) tail.push({ type: 'actions', elements: message.actions.slice(0, 25).map(button) });

  let blocks = body;
  const room = LIMITS.blocks - tail.length;
  if (body.length > room) {
    const kept = body.slice(0, room - 1);
    const dropped = body.slice(room - 1).reduce((n, b) => n + shownLength(b), 0);
    const note = escapeMrkdwn(options.truncatedNote(dropped, Boolean(options.moreUrl)));
    // `&` in the query is written `&amp;` like any other text; Slack reads the URL back unescaped.
    const link = options.moreUrl ? ` <${escapeMrkdwn(options.moreUrl)}>` : '';
    blocks = [...kept, { type: 'context', elements: [mrkdwn(truncate(note, LIMITS.sectionText - link.length) + link)] }];
  }
  return { text: truncate(escapeMrkdwn(message.text), LIMITS.text), blocks: [...blocks, ...tail] };
}
