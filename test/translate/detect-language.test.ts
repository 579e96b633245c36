import { describe, expect, it } from 'vitest';
import { sourceLanguageOf } from '../../src/translate/detect-language.ts';

describe('sourceLanguageOf', () => {
  it.each([
    ['English by an English author', 'We are investigating.', 'en', ['en', 'ja'], 'en'],
    ['Japanese by a Japanese author', '調査中です。', 'ja', ['en', 'ja'], 'ja'],
    ['English by a Japanese author', 'We are investigating errors on the API.', 'ja', ['en', 'ja'], 'en'],
    ['Japanese by an English author', 'APIで障害が発生しています。', 'en', ['en', 'ja'], 'ja'],
    ['kanji-only Japanese', '原因特定', 'en', ['en', 'ja'], 'ja'],
    ['a URL and ticket only', 'https://example.com INC-42', 'ja', ['en', 'ja'], 'ja'],
    ['a Latin text among Latin languages', 'Nous enquêtons.', 'fr', ['en', 'fr'], 'fr'],
    ['a script no configured language writes', 'Мы расследуем.', 'en', ['en', 'ja'], 'en'],
  ])('%s', (_name, text, author, locales, expected) => {
    expect(sourceLanguageOf(text, author, locales)).toBe(expected);
  });
});
