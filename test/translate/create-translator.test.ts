import { describe, expect, it } from 'vitest';
import { createTranslationService } from '../../src/translate/create-translator.ts';
import { EMPTY_GLOSSARY } from '../../src/translate/glossary.ts';

describe('createTranslationService', () => {
  it('builds none for TRANSLATOR=none: people type every language', () => {
    expect(createTranslationService({ kind: 'none' }, EMPTY_GLOSSARY)).toBeUndefined();
  });

  it('builds DeepL from its key and server URL', () => {
    expect(createTranslationService({ kind: 'deepl', deeplAuthKey: 'k:fx', deeplServerUrl: 'http://127.0.0.1:1' }, EMPTY_GLOSSARY)?.name).toBe('deepl');
  });

  it('builds an OpenAI-compatible translator named by its model, for the cache key', () => {
    const service = createTranslationService({ kind: 'openai', openaiBaseUrl: 'http://127.0.0.1:1/v1', openaiModel: 'llama3' }, EMPTY_GLOSSARY, { timeoutMs: 50 });
    expect(service?.name).toBe('openai:llama3');
    expect(service?.options.timeoutMs).toBe(50);
  });
});
