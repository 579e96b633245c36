import OpenAI from 'openai';
import { kindOfStatus, type TranslateRequest, type Translator, TranslatorError } from './translator.ts';

export interface OpenAiOptions {
  baseUrl: string;
  apiKey?: string;
  model: string;
  /** The client's own retries of 429/5xx; the caller's timeout bounds them all. */
  maxRetries?: number;
}

function languageName(lang: string): string {
  return new Intl.DisplayNames(['en'], { type: 'language' }).of(lang) ?? lang;
}

/** The instruction every call carries; exported so tests and docs show exactly what is asked. */
export function translationPrompt(sourceLang: string, targetLang: string): string {
  return [
    `Translate the user's message from ${languageName(sourceLang)} to ${languageName(targetLang)}.`,
    'It is a public status update about a service incident, read by customers.',
    'Keep the register of the original (formal and polite; in Japanese use です/ます), its meaning and about its length.',
    'Add nothing: no explanations, notes, greetings, quotes or headings, and leave nothing out.',
    'Tokens like ⟦0⟧ stand for names, links, numbers and times: copy every one exactly once, unchanged, where it belongs in the sentence.',
    'Reply with the translation only.',
  ].join('\n');
}

/** Any OpenAI-compatible chat-completions endpoint (OpenAI, vLLM, Ollama, LM Studio, …). */
export class OpenAiTranslator implements Translator {
  readonly name: string;
  private readonly client: OpenAI;

  constructor(private readonly options: OpenAiOptions) {
    this.name = `openai:${options.model}`;
    // Self-hosted endpoints often need no key; the client insists on one.
    this.client = new OpenAI({ baseURL: options.baseUrl, apiKey: options.apiKey ?? 'none', maxRetries: options.maxRetries ?? 2 });
  }

  async translate(request: TranslateRequest): Promise<string> {
    try {
      const completion = await this.client.chat.completions.create(
        {
          model: this.options.model,
          temperature: 0,
          messages: [
            { role: 'system', content: translationPrompt(request.sourceLang, request.targetLang) },
            { role: 'user', content: request.text },
          ],
        },
        request.signal ? { signal: request.signal } : {},
      );
      const content = completion.choices[0]?.message?.content;
      if (typeof content !== 'string' || !content.trim()) throw new TranslatorError('rejected', 'the model returned no text');
      return content;
    } catch (e) {
      if (e instanceof TranslatorError) throw e;
      if (e instanceof OpenAI.APIUserAbortError) throw new TranslatorError('timeout', 'aborted', { cause: e });
      if (e instanceof OpenAI.APIError) throw new TranslatorError(kindOfStatus(e.status), e.message, { cause: e });
      throw new TranslatorError('unavailable', e instanceof Error ? e.message : String(e), { cause: e });
    }
  }
}
