import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import { DeeplTranslator } from './deepl.ts';
import type { Glossary } from './glossary.ts';
import { OpenAiTranslator } from './openai.ts';
import { TranslationService } from './translation-service.ts';

/** How long one language may take before the preview reports it missing. */
export const DEFAULT_TRANSLATE_TIMEOUT_MS = 8_000;

/** The configured translator wrapped for safe use, or undefined for `TRANSLATOR=none` (people type every language). */
export function createTranslationService(
  config: Config['translator'],
  glossary: Glossary,
  options: { logger?: Pick<Logger, 'warn'>; timeoutMs?: number; maxRetries?: number } = {},
): TranslationService | undefined {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TRANSLATE_TIMEOUT_MS;
  const retries = options.maxRetries !== undefined ? { maxRetries: options.maxRetries } : {};
  switch (config.kind) {
    case 'none':
      return undefined;
    case 'deepl':
      return new TranslationService(
        new DeeplTranslator({
          authKey: config.deeplAuthKey!,
          ...(config.deeplServerUrl ? { serverUrl: config.deeplServerUrl } : {}),
          glossary,
          ...(options.logger ? { logger: options.logger } : {}),
          ...retries,
        }),
        glossary,
        { timeoutMs },
      );
    case 'openai':
      return new TranslationService(
        new OpenAiTranslator({
          baseUrl: config.openaiBaseUrl!,
          model: config.openaiModel!,
          ...(config.openaiApiKey ? { apiKey: config.openaiApiKey } : {}),
          ...retries,
        }),
        glossary,
        { timeoutMs },
      );
  }
}
