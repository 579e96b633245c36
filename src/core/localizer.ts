import type { TFunction } from 'i18next';

/**
 * The words and formats the core writes in: what it may call of src/i18n.ts's I18n, which
 * implements it. Declared here so the core imports nothing outside itself.
 */
export interface Localizer {
  /** The translate function fixed to one language. */
  t(lang: string): TFunction;
  /** An instant as the language writes it, in a zone, always with the zone: `2/27 0:20 (JST)`. */
  formatDateTime(at: Date, lang: string, zone: string, style?: 'dateTime' | 'fullDateTime' | 'time' | 'date'): string;
  /** A span as the language writes it: `2 h 5 min`, `2時間5分`. */
  formatDuration(ms: number, lang: string): string;
  /** A list joined the way the language joins lists. */
  formatList(items: readonly string[], lang: string): string;
}
