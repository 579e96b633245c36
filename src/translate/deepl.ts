import * as deepl from 'deepl-node';
import type { Logger } from '../logger.ts';
import { type Glossary, termIn } from './glossary.ts';
import { kindOfStatus, type TranslateRequest, type Translator, TranslatorError } from './translator.ts';

export interface DeeplOptions {
  authKey: string;
  serverUrl?: string;
  glossary: Glossary;
  logger?: Pick<Logger, 'warn'>;
  /** deepl-node's own retries of 429/5xx with backoff; the caller's timeout bounds them all. */
  maxRetries?: number;
}

// DeepL wants a regional variant for these targets; glossaries take the base language.
const TARGET_VARIANT: Record<string, string> = { en: 'en-US', pt: 'pt-BR' };
const GLOSSARY_PREFIX = 'tsuiki';

const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const unescapeXml = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');

/**
 * `⟦n⟧` placeholders travel as empty XML tags with `tag_handling=xml`, which DeepL keeps
 * in place by design; the caller still verifies every one came back.
 */
export function toDeeplXml(masked: string): string {
  return escapeXml(masked).replace(/⟦(\d+)⟧/g, '<x i="$1"/>');
}

export function fromDeeplXml(xml: string): string {
  return unescapeXml(xml.replace(/<x\s+i\s*=\s*"(\d+)"\s*\/>/g, '⟦$1⟧'));
}

/** DeepL through its official client, with a DeepL glossary per language pair kept in step with COMPONENTS_FILE. */
export class DeeplTranslator implements Translator {
  readonly name = 'deepl';
  private readonly client: deepl.Translator;
  private readonly glossaryIds = new Map<string, Promise<string | undefined>>();

  constructor(private readonly options: DeeplOptions) {
    this.client = new deepl.Translator(options.authKey, {
      ...(options.serverUrl ? { serverUrl: options.serverUrl } : {}),
      maxRetries: options.maxRetries ?? 2,
      sendPlatformInfo: false,
      appInfo: { appName: 'tsuiki', appVersion: '0.1.0' },
    });
  }

  async translate(request: TranslateRequest): Promise<string> {
    const source = request.sourceLang.split('-')[0]!.toLowerCase();
    const target = TARGET_VARIANT[request.targetLang.toLowerCase()] ?? request.targetLang;
    const glossary = await this.glossaryFor(source, target.split('-')[0]!.toLowerCase());
    try {
      const result = await this.client.translateText(toDeeplXml(request.text), source as deepl.SourceLanguageCode, target as deepl.TargetLanguageCode, {
        tagHandling: 'xml',
        ...(glossary ? { glossary } : {}),
      });
      return fromDeeplXml(result.text);
    } catch (e) {
      throw classify(e);
    }
  }

  /** Creates (or finds) this glossary version's DeepL glossary for a pair and deletes older versions. */
  syncGlossary(source: string, target: string): Promise<string | undefined> {
    const key = `${source}-${target}`;
    let pending = this.glossaryIds.get(key);
    if (!pending) {
      pending = this.createGlossary(source, target).catch((e: unknown) => {
        // A pair DeepL has no glossaries for, or a transient failure: translate without one, try again next time.
        this.glossaryIds.delete(key);
        this.options.logger?.warn({ err: e, pair: key }, 'DeepL glossary not available');
        return undefined;
      });
      this.glossaryIds.set(key, pending);
    }
    return pending;
  }

  private glossaryFor(source: string, target: string): Promise<string | undefined> {
    if (this.options.glossary.terms.length === 0 || source === target) return Promise.resolve(undefined);
    return this.syncGlossary(source, target);
  }

  private async createGlossary(source: string, target: string): Promise<string | undefined> {
    const { glossary } = this.options;
    const name = `${GLOSSARY_PREFIX} ${glossary.version} ${source}-${target}`;
    const existing = await this.client.listGlossaries();
    const ours = existing.filter((g) => g.name.startsWith(`${GLOSSARY_PREFIX} `) && g.sourceLang === source && g.targetLang === target);
    for (const stale of ours.filter((g) => g.name !== name)) await this.client.deleteGlossary(stale.glossaryId);
    const current = ours.find((g) => g.name === name);
    if (current) return current.glossaryId;
    const entries: Record<string, string> = {};
    for (const term of glossary.terms) {
      const from = termIn(term, source);
      if (!/[\t\n\r]/.test(from + termIn(term, target))) entries[from] ??= termIn(term, target);
    }
    if (Object.keys(entries).length === 0) return undefined;
    const created = await this.client.createGlossary(name, source as deepl.SourceGlossaryLanguageCode, target as deepl.TargetGlossaryLanguageCode, new deepl.GlossaryEntries({ entries }));
    return created.glossaryId;
  }
}

function classify(e: unknown): TranslatorError {
  if (e instanceof deepl.QuotaExceededError) return new TranslatorError('quota_exceeded', e.message, { cause: e });
  if (e instanceof deepl.TooManyRequestsError) return new TranslatorError('rate_limited', e.message, { cause: e });
  if (e instanceof deepl.AuthorizationError) return new TranslatorError('rejected', e.message, { cause: e });
  if (e instanceof deepl.ConnectionError) return new TranslatorError('unavailable', e.message, { cause: e });
  const status = /status code: (\d{3})/.exec(e instanceof Error ? e.message : '')?.[1];
  return new TranslatorError(kindOfStatus(status ? Number(status) : undefined), e instanceof Error ? e.message : String(e), { cause: e });
}
