/** One text to translate; `text` is already masked (protected spans are `⟦n⟧` placeholders). */
export interface TranslateRequest {
  text: string;
  sourceLang: string;
  targetLang: string;
  /** Aborted when the caller stops waiting (timeout); adapters that can, cancel the call. */
  signal?: AbortSignal;
}

/**
 * The machine-translation port. Adapters receive masked text and must hand the
 * placeholders back; whether they did is checked by the caller, never assumed.
 */
export interface Translator {
  /** Stable identity for the cache key: the service and, where it matters, the model. */
  readonly name: string;
  translate(request: TranslateRequest): Promise<string>;
}

export type TranslatorErrorKind = 'rate_limited' | 'quota_exceeded' | 'unavailable' | 'rejected' | 'timeout';

/** A translator call that failed, classified so callers and logs can tell a retry from a misconfiguration. */
export class TranslatorError extends Error {
  constructor(
    readonly kind: TranslatorErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'TranslatorError';
  }
}

/** Classifies an HTTP status the way both DeepL and OpenAI-compatible services use it. */
export function kindOfStatus(status: number | undefined): TranslatorErrorKind {
  if (status === 429) return 'rate_limited';
  if (status === 456) return 'quota_exceeded';
  if (status === undefined || status >= 500) return 'unavailable';
  return 'rejected';
}
