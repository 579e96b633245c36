import type { Db } from '../db/client.ts';
import { readCachedTranslation, writeCachedTranslation } from './cache.ts';
import { type Glossary, type GlossaryTerm, withTerms } from './glossary.ts';
import { hasTranslatableText, maskProtected, restoreProtected } from './protect.ts';
import { type Translator, TranslatorError } from './translator.ts';

export type TranslationOutcome =
  | { ok: true; text: string; cached: boolean }
  | { ok: false; reason: 'timeout' | 'protected_span_lost' | 'translator_failed'; error?: unknown };

export interface TranslationServiceOptions {
  /** How long one text may take before its language is reported missing. */
  timeoutMs: number;
}

/**
 * Free text through the configured translator, safely: protected spans are masked before
 * the call and verified after it, results are cached in PostgreSQL, and a slow or failing
 * translator yields a reason instead of an exception.
 */
export class TranslationService {
  constructor(
    readonly translator: Translator,
    readonly glossary: Glossary,
    readonly options: TranslationServiceOptions,
  ) {}

  get name(): string {
    return this.translator.name;
  }

  /** `options.terms`: more names kept exact for this text only (a followed vendor's components). */
  async translate(
    db: Db,
    text: string,
    sourceLang: string,
    targetLang: string,
    now: Date,
    options: { terms?: readonly GlossaryTerm[] } = {},
  ): Promise<TranslationOutcome> {
    const glossary = options.terms?.length ? withTerms(this.glossary, options.terms) : this.glossary;
    const key = { text, sourceLang, targetLang, translator: this.translator.name, glossaryVersion: glossary.version };
    const cached = await readCachedTranslation(db, key);
    if (cached !== undefined) return { ok: true, text: cached, cached: true };
    const masked = maskProtected(text, glossary);
    if (!hasTranslatableText(masked)) {
      // Nothing but names, numbers and links: the text is its own translation (glossary forms applied).
      const same = restoreProtected(masked.text, masked, targetLang)!;
      return { ok: true, text: same, cached: false };
    }
    let raw: string;
    try {
      raw = await this.withTimeout((signal) => this.translator.translate({ text: masked.text, sourceLang, targetLang, signal }));
    } catch (e) {
      return { ok: false, reason: e instanceof TranslatorError && e.kind === 'timeout' ? 'timeout' : 'translator_failed', error: e };
    }
    const restored = restoreProtected(raw.trim(), masked, targetLang);
    if (restored === undefined) return { ok: false, reason: 'protected_span_lost' };
    await writeCachedTranslation(db, key, restored, now);
    return { ok: true, text: restored, cached: false };
  }

  private async withTimeout<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(new TranslatorError('timeout', `no answer within ${this.options.timeoutMs} ms`));
      }, this.options.timeoutMs);
    });
    try {
      return await Promise.race([work(controller.signal), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
