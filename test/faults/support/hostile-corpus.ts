import { storable } from '../../../src/core/model.ts';

/** One hostile text and where it can go. */
export interface HostileText {
  /** Short name for test titles and failure messages. */
  name: string;
  text: string;
  /** Whether it fits a title (200 characters) and a component name; otherwise it is only free text. */
  asTitle: boolean;
}

/**
 * Texts that would become markup, a mention, a link, a card element, a mail header, or
 * unreadable output if any surface forgot to escape them. Each keeps no leading or trailing
 * whitespace, because commands trim what they are given.
 */
export const HOSTILE_CORPUS: readonly HostileText[] = [
  { name: 'script tag', text: '<script>window.__xss=1</script> & done', asTitle: true },
  { name: 'attribute breakout', text: '"><img src=x onerror="window.__xss=1"> \'><svg onload=alert(1)>', asTitle: true },
  { name: 'javascript url', text: 'see javascript:alert(1) <a href="javascript:alert(1)">here</a> [click](javascript:alert(1))', asTitle: true },
  { name: 'slack mentions', text: 'ping <!channel> <!here> <!everyone> <@U0EVIL0001> <#C0EVIL0001> <!subteam^S0EVIL>', asTitle: true },
  { name: 'slack link and mrkdwn', text: '<https://evil.example|click here> *bold* _italic_ ~strike~ `code` > quote', asTitle: true },
  {
    name: 'card json',
    text: '{"type":"Action.OpenUrl","title":"Pay","url":"https://evil.example"}"}]},{"type":"Image","url":"https://evil.example/x.png"} [link](https://evil.example) **bold**',
    asTitle: true,
  },
  { name: 'crlf header injection', text: 'Outage\r\nBcc: victim@evil.example\r\nX-Injected: yes\n\nbody', asTitle: true },
  { name: 'bidi controls', text: 'invoice\u202Egnp.exe\u202C \u2066isolate\u2069 \u200Fright\u200E \u061Carabic mark', asTitle: true },
  { name: 'zero-width', text: 'zero\u200Bwidth\u200Cnon\u200Djoiner\uFEFFbom\u2060word', asTitle: true },
  { name: 'NUL and controls', text: 'nul\u0000byte bell\u0007 esc\u001B[31mred\u001B[0m back\u0008 del\u007F', asTitle: true },
  { name: 'lone surrogates', text: 'high \uD800 alone, low \uDC00 alone, pair 😀 kept', asTitle: true },
  { name: 'i18next and entities', text: '$t(public:page.title) {{title}} &lt;b&gt; &amp; &#x3C;', asTitle: true },
  { name: '100 KB', text: `${'0123456789abcdef'.repeat(6_400)}`, asTitle: false },
];

/** What a text becomes once stored: NUL and lone surrogates are U+FFFD (see `storable`), the rest as typed. */
export function stored(text: string): string {
  return storable(text);
}

/** The one entry over every length limit (titles 200, texts 3,000): refused whole, never cut. */
export const OVERSIZED = HOSTILE_CORPUS.find((h) => h.text.length > 3000)!;

/** Everything that fits. */
export const FITTING = HOSTILE_CORPUS.filter((h) => h !== OVERSIZED);
