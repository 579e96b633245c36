import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { createI18n, LOCALES_DIR, namespacesIn } from '../src/i18n.ts';

type Tree = { [key: string]: string | Tree };

function flatten(tree: Tree, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(tree)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (typeof value === 'string') out.set(path, value);
    else for (const [k, v] of flatten(value, path)) out.set(k, v);
  }
  return out;
}

const variables = (text: string) => [...text.matchAll(/\{\{\s*([\w.]+)[^}]*\}\}/g)].map((m) => m[1]).sort();
const languages = readdirSync(LOCALES_DIR).sort();
const namespaces = namespacesIn();

describe('locale files', () => {
  it('exist for en and ja', () => {
    expect(languages).toEqual(expect.arrayContaining(['en', 'ja']));
  });

  it.each(languages.flatMap((lang) => namespaces.map((ns) => [lang, ns] as const)))('%s/%s.json has every key of en with the same variables', (lang, ns) => {
    const en = flatten(JSON.parse(readFileSync(join(LOCALES_DIR, 'en', `${ns}.json`), 'utf8')));
    const other = flatten(JSON.parse(readFileSync(join(LOCALES_DIR, lang, `${ns}.json`), 'utf8')));
    expect([...other.keys()].sort()).toEqual([...en.keys()].sort());
    for (const [key, text] of en) {
      expect({ key, vars: variables(other.get(key)!) }).toEqual({ key, vars: variables(text) });
    }
  });

  it.each(languages)('%s has no empty strings', (lang) => {
    for (const ns of namespaces) {
      const texts = flatten(JSON.parse(readFileSync(join(LOCALES_DIR, lang, `${ns}.json`), 'utf8')));
      for (const [key, text] of texts) expect({ key, empty: text.trim() === '' }).toEqual({ key, empty: false });
    }
  });
});

describe('formatting', () => {
  const i18n = createI18n(['en', 'ja']);

  it('reads every minute across DST and half-hour transitions exactly as the zone has it', () => {
    // New York springs forward an hour, Lord Howe half an hour, Tokyo not at all; each
    // minute is checked against Luxon and Intl asked directly, without any caching.
    const cases = [
      ['America/New_York', '2026-03-08T07:00:00Z'],
      ['America/New_York', '2026-11-01T06:00:00Z'],
      ['Australia/Lord_Howe', '2026-04-04T15:00:00Z'],
      ['Asia/Tokyo', '2026-02-26T15:00:00Z'],
    ] as const;
    for (const [zone, transition] of cases) {
      const at = Date.parse(transition);
      for (let ms = at - 90 * 60_000; ms <= at + 90 * 60_000; ms += 60_000) {
        const wall = DateTime.fromMillis(ms, { zone, locale: 'en' }).toFormat('LLL d, HH:mm');
        const name = new Intl.DateTimeFormat('en', { timeZone: zone, timeZoneName: 'short' }).formatToParts(ms).find((p) => p.type === 'timeZoneName')!.value;
        expect(i18n.formatDateTime(new Date(ms), 'en', zone)).toBe(`${wall} ${name}`);
      }
    }
  });
  const at = new Date('2021-02-26T15:20:00Z');

  it.each([
    ['ja', 'Asia/Tokyo', 'dateTime', '2/27 0:20 (JST)'],
    ['en', 'UTC', 'dateTime', 'Feb 26, 15:20 UTC'],
    ['en', 'America/New_York', 'dateTime', 'Feb 26, 10:20 EST'],
    ['ja', 'UTC', 'dateTime', '2/26 15:20 (UTC)'],
    ['ja', 'Asia/Tokyo', 'fullDateTime', '2021/2/27 0:20 (JST)'],
    ['en', 'UTC', 'time', '15:20 UTC'],
  ] as const)('%s in %s (%s) reads %s', (lang, zone, style, expected) => {
    expect(i18n.formatDateTime(at, lang, zone, style)).toBe(expected);
  });

  it.each([
    [30_000, 'en', '< 1 min'],
    [25 * 60_000, 'en', '25 min'],
    [125 * 60_000, 'en', '2 h 5 min'],
    [120 * 60_000, 'en', '2 h'],
    [26 * 3600_000, 'en', '1 d 2 h'],
    [25 * 60_000, 'ja', '25分'],
    [125 * 60_000, 'ja', '2時間5分'],
    [48 * 3600_000, 'ja', '2日'],
  ] as const)('%i ms in %s reads %s', (ms, lang, expected) => {
    expect(i18n.formatDuration(ms, lang)).toBe(expected);
  });

  it.each([
    ['ja-JP', 'ja'],
    ['en_US', 'en'],
    ['fr-FR', 'en'],
    [undefined, 'en'],
  ] as const)('picks %s as %s', (locale, expected) => {
    expect(i18n.pick(locale)).toBe(expected);
  });

  it('refuses a language without locale files', () => {
    expect(() => createI18n(['en', 'xx'])).toThrow(/no locale files for "xx"/);
  });
});
