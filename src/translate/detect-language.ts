type Script = 'kana' | 'han' | 'hangul' | 'cyrillic' | 'latin' | 'other';

const SCRIPT_OF_LANG: Record<string, Script[]> = {
  ja: ['kana', 'han'],
  zh: ['han'],
  ko: ['hangul'],
  ru: ['cyrillic'],
  uk: ['cyrillic'],
};

function scriptsOfLang(lang: string): Script[] {
  return SCRIPT_OF_LANG[lang.split('-')[0]!.toLowerCase()] ?? ['latin'];
}

/** The dominant script of the letters in a text; kana anywhere means Japanese writing. */
function dominantScript(text: string): Script | undefined {
  const counts: Record<Script, number> = { kana: 0, han: 0, hangul: 0, cyrillic: 0, latin: 0, other: 0 };
  // Only words are counted: URLs, code and ticket ids say nothing about the language.
  const words = text.replace(/https?:\/\/\S+|\x60[^\x60]*\x60|\S+@\S+|[A-Z][A-Z0-9]*-\d+/g, ' ');
  for (const ch of words) {
    if (/\p{Script=Hiragana}|\p{Script=Katakana}/u.test(ch)) counts.kana++;
    else if (/\p{Script=Han}/u.test(ch)) counts.han++;
    else if (/\p{Script=Hangul}/u.test(ch)) counts.hangul++;
    else if (/\p{Script=Cyrillic}/u.test(ch)) counts.cyrillic++;
    else if (/\p{Script=Latin}/u.test(ch)) counts.latin++;
    else if (/\p{L}/u.test(ch)) counts.other++;
  }
  if (counts.kana > 0) return 'kana';
  const ranked = (Object.entries(counts) as [Script, number][]).sort((a, b) => b[1] - a[1]);
  return ranked[0]![1] > 0 ? ranked[0]![0] : undefined;
}

/**
 * The language a public update is written in: the author's locale when the text is in its
 * script, otherwise the first configured language written in the text's script (a Japanese
 * author typing English). Only scripts are told apart; two Latin languages keep the author's.
 */
export function sourceLanguageOf(text: string, authorLang: string, locales: readonly string[]): string {
  const script = dominantScript(text);
  if (!script || scriptsOfLang(authorLang).includes(script)) return authorLang;
  return locales.find((lang) => scriptsOfLang(lang).includes(script)) ?? authorLang;
}
