import type { MentionRef } from '../../core/command.ts';

/** What a person typed in Slack, decoded, and the people they mentioned (for `assign` and `action`). */
export interface DecodedText {
  text: string;
  mentions: MentionRef[];
}

/** Finds a user's display name (users.info, cached); undefined when Slack does not say. */
export type DisplayNameOf = (userId: string) => Promise<string | undefined>;

// Slack escapes exactly these three in message and command text; every literal `<` arrives as `&lt;`,
// so any `<` left in the raw text opens markup.
const ENTITIES: Readonly<Record<string, string>> = { '&amp;': '&', '&lt;': '<', '&gt;': '>' };
const MARKUP = /<([^<>]*)>/g;

function unescape(text: string): string {
  return text.replace(/&(?:amp|lt|gt);/g, (m) => ENTITIES[m] ?? m);
}

/**
 * Decodes Slack's wire text into what the person typed, once, at the edge: `&amp;` `&lt;`
 * `&gt;` unescaped; `<@U…>` → `@Display Name` (the id kept aside in `mentions`, so a role or
 * an action owner still names the Slack user); `<#C…|name>` → `#name`; `<!here>` → `@here`;
 * `<!subteam^S…|@team>` → `@team`; `<!date^…|fallback>` → fallback; `<url|label>` →
 * `label (url)`, `<url>` → `url`. Stored and public text then never carries Slack markup.
 */
export async function decodeSlackText(raw: string, displayNameOf: DisplayNameOf): Promise<DecodedText> {
  const mentions: MentionRef[] = [];
  const parts: string[] = [];
  let last = 0;
  for (const match of raw.matchAll(MARKUP)) {
    parts.push(unescape(raw.slice(last, match.index)));
    parts.push(await decodeToken(match[1] as string, displayNameOf, mentions));
    last = match.index + match[0].length;
  }
  parts.push(unescape(raw.slice(last)));
  return { text: parts.join(''), mentions };
}

async function decodeToken(token: string, displayNameOf: DisplayNameOf, mentions: MentionRef[]): Promise<string> {
  const bar = token.indexOf('|');
  const target = bar < 0 ? token : token.slice(0, bar);
  const label = bar < 0 ? undefined : unescape(token.slice(bar + 1));
  if (target.startsWith('@')) {
    const id = target.slice(1);
    const name = (await displayNameOf(id).catch(() => undefined)) ?? label ?? id;
    const display = `@${name.replace(/^@/, '')}`;
    if (!mentions.some((m) => m.id === id)) mentions.push({ id, display });
    return display;
  }
  if (target.startsWith('#')) return `#${label ?? target.slice(1)}`;
  if (target.startsWith('!')) {
    const [command] = target.slice(1).split('^');
    if (label) return label;
    return command === 'here' || command === 'channel' || command === 'everyone' ? `@${command}` : '';
  }
  const url = unescape(target);
  if (!label || label === url || `mailto:${label}` === url || url.replace(/^https?:\/\//, '') === label) return url;
  return `${label} (${url})`;
}
