import { type Glossary, type GlossaryTerm, termIn } from './glossary.ts';

/** A span that must come back exactly: either verbatim, or a glossary term written per language. */
export interface ProtectedSpan {
  original: string;
  term?: GlossaryTerm;
}

/** Text with its protected spans replaced by `⟦n⟧`, in order of appearance. */
export interface MaskedText {
  text: string;
  spans: ProtectedSpan[];
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// Ordered by priority: at one position the first alternative that matches wins, so a URL
// containing a ticket id stays one URL, and a glossary name beats a bare number inside it.
const FIXED_PATTERNS = {
  // Literal brackets of our own placeholder syntax: masked so they cannot forge a placeholder.
  bracket: String.raw`[⟦⟧]`,
  code: String.raw`\x60[^\x60\n]+\x60`,
  url: String.raw`\bhttps?:\/\/[^\s<>"'\x60、。「」（）]*[^\s<>"'\x60、。「」（）.,;:!?)\]]`,
  email: String.raw`[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}`,
};

const TAIL_PATTERNS = {
  ticket: String.raw`(?<![A-Za-z0-9])[A-Z][A-Z0-9]*-\d+(?![A-Za-z0-9])`,
  isoTime: String.raw`\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?`,
  // `2/27 0:20 (JST)`, `15:20 UTC`, `3:05pm`, `22:25`.
  time: String.raw`(?<![\d:])(?:\d{1,2}\/\d{1,2}(?:\/\d{2,4})?\s)?\d{1,2}:\d{2}(?::\d{2})?(?:\s?[AaPp]\.?[Mm]\.?)?(?:\s?\(?(?:UTC|GMT|Z|[A-Z]{2,4}T)(?:[+-]\d{1,2}(?::?\d{2})?)?\)?)?(?![\d:])`,
  // Numbers with a unit: `40%`, `250 ms`, `3 GB`, `1.5x`, `10k rps`.
  quantity: String.raw`(?<![\w.])[-+]?\d+(?:[.,]\d+)*\s?(?:%|ms|µs|us|ns|s|sec|min|h|hr|[KMGTP]i?B|[KMGT]bps|kbps|rps|qps|req\/s|x|k|°C)(?![A-Za-z0-9])`,
};

function termPattern(form: string): string {
  // ASCII names need word edges ("API" must not match inside "APIs"? it should not match inside "RAPID").
  const start = /^[A-Za-z0-9]/.test(form) ? '(?<![A-Za-z0-9])' : '';
  const end = /[A-Za-z0-9]$/.test(form) ? '(?![A-Za-z0-9])' : '';
  return `${start}${escape(form)}${end}`;
}

/** Replaces every protected span with `⟦n⟧` so no translator can alter it. */
export function maskProtected(text: string, glossary: Glossary): MaskedText {
  // Every written form of a term is recognised (a Japanese source says コンソール (管理画面)); longest first.
  const forms = glossary.terms
    .flatMap((term) => [term.term, ...Object.values(term.names)].map((form) => ({ form, term })))
    .filter((f) => f.form.trim().length > 0)
    .sort((a, b) => b.form.length - a.form.length);
  const termIndex = new Map<string, GlossaryTerm>();
  for (const f of forms) if (!termIndex.has(f.form)) termIndex.set(f.form, f.term);
  const parts = [
    ...Object.values(FIXED_PATTERNS).map((p) => `(?:${p})`),
    ...(termIndex.size ? [`(?<term>${[...termIndex.keys()].map(termPattern).join('|')})`] : []),
    ...Object.values(TAIL_PATTERNS).map((p) => `(?:${p})`),
  ];
  const pattern = new RegExp(parts.join('|'), 'gu');
  const spans: ProtectedSpan[] = [];
  const masked = text.replace(pattern, (match: string, ...args: unknown[]) => {
    const groups = args.at(-1) as Record<string, string | undefined> | undefined;
    const term = groups?.term !== undefined ? termIndex.get(match) : undefined;
    spans.push(term ? { original: match, term } : { original: match });
    return `⟦${spans.length - 1}⟧`;
  });
  return { text: masked, spans };
}

/** Whether masked text has anything left to translate besides placeholders, spaces and punctuation. */
export function hasTranslatableText(masked: MaskedText): boolean {
  return /[\p{L}]/u.test(masked.text.replace(/⟦\d+⟧/g, ''));
}

/**
 * Puts the spans back, glossary terms in the target language. Returns undefined when the
 * translator lost, duplicated or invented a placeholder: a mangled text is never returned.
 */
export function restoreProtected(translated: string, masked: MaskedText, targetLang: string): string | undefined {
  const seen = new Array<number>(masked.spans.length).fill(0);
  let forged = false;
  const restored = translated.replace(/⟦\s*(\d+)\s*⟧/g, (_m, digits: string) => {
    const i = Number(digits);
    if (!(i < masked.spans.length)) {
      forged = true;
      return '';
    }
    seen[i]! += 1;
    const span = masked.spans[i]!;
    return span.term ? termIn(span.term, targetLang) : span.original;
  });
  if (forged || seen.some((n) => n !== 1)) return undefined;
  // A stray bracket means a placeholder was half-eaten (`⟦3`); the brackets of the source were masked.
  const strays = (translated.replace(/⟦\s*\d+\s*⟧/g, '').match(/[⟦⟧]/g) ?? []).length;
  return strays === 0 ? restored : undefined;
}
