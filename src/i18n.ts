import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import i18next, { type i18n as I18nInstance, type TFunction } from 'i18next';
import { DateTime } from 'luxon';
import type { Localizer } from './core/localizer.ts';

export const LOCALES_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../locales');

/** The bot's words in every configured language, plus time and duration formatting per language and zone. */
export interface I18n extends Localizer {
  readonly languages: readonly string[];
  /** The closest configured language to a platform locale (`ja-JP` → `ja`), else the first one. */
  pick(locale: string | undefined): string;
  readonly instance: I18nInstance;
}

/** Reads locales/<lang>/<namespace>.json for each language; a language is added by adding files. */
export function loadResources(languages: readonly string[], dir = LOCALES_DIR) {
  const resources: Record<string, Record<string, unknown>> = {};
  for (const lang of languages) {
    const langDir = join(dir, lang);
    if (!existsSync(langDir)) throw new Error(`no locale files for "${lang}" in ${langDir}`);
    resources[lang] = {};
    for (const file of readdirSync(langDir).filter((f) => f.endsWith('.json'))) {
      resources[lang]![basename(file, '.json')] = JSON.parse(readFileSync(join(langDir, file), 'utf8'));
    }
  }
  return resources;
}

export function namespacesIn(dir = LOCALES_DIR, lang = 'en'): string[] {
  return readdirSync(join(dir, lang))
    .filter((f) => f.endsWith('.json'))
    .map((f) => basename(f, '.json'));
}

/** Zones change offset and name only at transitions, which never come twice in 15 minutes. */
const STEADY_SPAN_MS = 15 * 60_000;
const steadyValues = new Map<string, string>();

/**
 * A zone's value at an instant (its short name), computed once per 15-minute
 * span when the span's first and last millisecond agree — no transition inside it — and
 * exactly, uncached, for the rare span a transition falls in.
 */
function steady(key: string, ms: number, compute: (ms: number) => string): string {
  const start = Math.floor(ms / STEADY_SPAN_MS) * STEADY_SPAN_MS;
  const cacheKey = `${key}|${start}`;
  const cached = steadyValues.get(cacheKey);
  if (cached !== undefined) return cached;
  const first = compute(start);
  if (first !== compute(start + STEADY_SPAN_MS - 1)) return compute(ms);
  if (steadyValues.size >= 50_000) steadyValues.clear();
  steadyValues.set(cacheKey, first);
  return first;
}

/** Builds the i18next instance synchronously from the locale files. */
export function createI18n(languages: readonly string[], dir = LOCALES_DIR): I18n {
  const instance = i18next.createInstance();
  const resources = loadResources(languages, dir);
  void instance.init({
    resources: resources as never,
    lng: languages[0],
    fallbackLng: languages[0] === 'en' || !languages.includes('en') ? languages[0] : ['en'],
    supportedLngs: [...languages],
    ns: Object.keys(resources[languages[0]!] ?? {}),
    defaultNS: 'bot',
    initAsync: false,
    // Chat platforms and the HTML renderer escape on output; escaping here would double it.
    interpolation: { escapeValue: false },
    returnNull: false,
  });
  // i18next's getFixedT copies every init option on each call, which dominated rendering
  // thousands of timeline lines; calling instance.t with the language is the same lookup.
  const fixed = new Map(
    languages.map((lang) => {
      const plain = new Map<string, string>();
      const tl = ((key: string | string[], options?: Record<string, unknown>) => {
        if (options === undefined && typeof key === 'string') {
          let text = plain.get(key);
          if (text === undefined) {
            text = instance.t(key, { lng: lang }) as string;
            plain.set(key, text);
          }
          return text;
        }
        return instance.t(key as string, { ...options, lng: lang });
      }) as unknown as TFunction;
      return [lang, tl] as const;
    }),
  );
  const patterns = new Map<string, string>();
  const zoneFormatters = new Map<string, Intl.DateTimeFormat>();
  const zoneName = (at: Date, lang: string, zone: string): string =>
    steady(`name|${lang}|${zone}`, at.getTime(), (ms) => {
      const key = `${lang}|${zone}`;
      let formatter = zoneFormatters.get(key);
      if (!formatter) {
        formatter = new Intl.DateTimeFormat(lang, { timeZone: zone, timeZoneName: 'short' });
        zoneFormatters.set(key, formatter);
      }
      return formatter.formatToParts(ms).find((p) => p.type === 'timeZoneName')?.value ?? zone;
    });
  const t = (lang: string): TFunction => fixed.get(lang) ?? fixed.get(languages[0]!)!;

  return {
    languages,
    instance,
    t,
    pick(locale) {
      if (!locale) return languages[0]!;
      const lower = locale.toLowerCase().replace('_', '-');
      return (
        languages.find((l) => l.toLowerCase() === lower) ??
        languages.find((l) => l.toLowerCase() === lower.split('-')[0]) ??
        languages[0]!
      );
    },
    formatDateTime(at, lang, zone, style = 'dateTime') {
      const patternKey = `${lang}|${style}`;
      let pattern = patterns.get(patternKey);
      if (pattern === undefined) {
        pattern = t(lang)(`common:format.${style}`);
        patterns.set(patternKey, pattern);
      }
      // Luxon's ZZZZ builds a new Intl formatter on every call (≈50 µs): a postmortem of
      // thousands of entries spent most of its time there. The same short zone name comes
      // from one cached formatter per language and zone instead.
      if (pattern.includes('ZZZZ')) pattern = pattern.replaceAll('ZZZZ', `'${zoneName(at, lang, zone).replaceAll("'", "''")}'`);
      return DateTime.fromMillis(at.getTime(), { zone, locale: lang }).toFormat(pattern);
    },
    formatDuration(ms, lang) {
      const tl = t(lang);
      const totalMinutes = Math.floor(Math.abs(ms) / 60_000);
      if (totalMinutes < 1) return tl('common:duration.lessThanMinute');
      const days = Math.floor(totalMinutes / 1440);
      const hours = Math.floor((totalMinutes % 1440) / 60);
      const minutes = totalMinutes % 60;
      if (days > 0) return hours > 0 ? tl('common:duration.daysHours', { days, hours }) : tl('common:duration.days', { days });
      if (hours > 0) return minutes > 0 ? tl('common:duration.hoursMinutes', { hours, minutes }) : tl('common:duration.hours', { hours });
      return tl('common:duration.minutes', { minutes });
    },
    formatList(items, lang) {
      return items.length === 0 ? t(lang)('common:list.none') : items.join(t(lang)('common:list.separator'));
    },
  };
}
