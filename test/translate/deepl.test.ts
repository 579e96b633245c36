import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { DeeplTranslator } from '../../src/translate/deepl.ts';
import { buildGlossary, type Glossary } from '../../src/translate/glossary.ts';
import { TranslationService } from '../../src/translate/translation-service.ts';
import { createTestDatabase, describeDb, type TestDatabase } from '../helpers/database.ts';
import { callsTo } from '../helpers/translators/behaviour.ts';
import { FAKE_DEEPL_KEY, type FakeDeepl, startFakeDeepl } from '../helpers/translators/deepl-server.ts';

let database: TestDatabase;
let deepl: FakeDeepl;
const NOW = new Date('2026-02-26T15:20:00Z');

const glossary = buildGlossary({
  components: [{ id: 'console', name: 'Console', names: { ja: 'コンソール (管理画面)' } }],
  glossary: [{ term: 'failover', ja: 'フェイルオーバー' }],
});

function service(g: Glossary = glossary, timeoutMs = 2_000) {
  return new TranslationService(new DeeplTranslator({ authKey: FAKE_DEEPL_KEY, serverUrl: deepl.url, glossary: g, maxRetries: 0 }), g, { timeoutMs });
}

// Each test translates its own text, so the shared cache never answers for another test.
let n = 0;
const unique = (text: string) => `${text} Ref INC-${++n}.`;

beforeAll(async () => {
  [database, deepl] = await Promise.all([createTestDatabase(), startFakeDeepl()]);
});
afterAll(async () => {
  await Promise.all([database.drop(), deepl.close()]);
});
beforeEach(() => {
  deepl.mode = 'faithful';
});

const TEXT = 'The Console is slow: 40% of calls take 250 ms more since 15:20 UTC. See https://status.example.com or `retry()`.';
const SPANS = ['コンソール (管理画面)', '40%', '250 ms', '15:20 UTC', 'https://status.example.com', '`retry()`'];

describeDb('DeepL adapter through the translation service', () => {
  it('translates with tags kept by tag_handling=xml and restores every span', async () => {
    const result = await service().translate(database.db, unique(TEXT), 'en', 'ja', NOW);
    expect(result.ok).toBe(true);
    for (const span of SPANS) expect(result.ok && result.text).toContain(span);
    const sent = deepl.translateRequests.at(-1)!;
    expect(sent.get('tag_handling')).toBe('xml');
    expect(sent.get('source_lang')).toBe('en');
    expect(sent.get('text')).toContain('<x i="0"/>');
    expect(sent.get('text')).not.toContain('Console');
  });

  it('asks for en-US when the target is English', async () => {
    await service().translate(database.db, unique('遅延しています。'), 'ja', 'en', NOW);
    expect(deepl.translateRequests.at(-1)!.get('target_lang')).toBe('en-US');
  });

  it('keeps every span exact when the translator rewrites every word', async () => {
    deepl.mode = 'rewrite-words';
    const result = await service().translate(database.db, unique(TEXT), 'en', 'ja', NOW);
    expect(result.ok && result.text).toMatch(/^EHT コンソール \(管理画面\) SI WOLS/);
    for (const span of SPANS) expect(result.ok && result.text).toContain(span);
  });

  it('keeps every span exact when the translator reorders sentences', async () => {
    deepl.mode = 'reorder';
    const result = await service().translate(database.db, 'Console failed. Failover done at 15:20 UTC.', 'en', 'ja', NOW);
    expect(result).toEqual({ ok: true, cached: false, text: '[ja] Failover done at 15:20 UTC. コンソール (管理画面) failed.' });
  });

  it.each(['drop-placeholder', 'duplicate-placeholder'] as const)('reports a lost span instead of a mangled text (%s)', async (mode) => {
    deepl.mode = mode;
    expect(await service().translate(database.db, unique(TEXT), 'en', 'ja', NOW)).toEqual({ ok: false, reason: 'protected_span_lost' });
  });

  it.each([429, 456, 500] as const)('reports HTTP %s as a failed translator, classified', async (status) => {
    deepl.mode = status;
    const result = await service().translate(database.db, unique(TEXT), 'en', 'ja', NOW);
    expect(result).toMatchObject({ ok: false, reason: 'translator_failed' });
    const kind = { 429: 'rate_limited', 456: 'quota_exceeded', 500: 'unavailable' }[status];
    expect(!result.ok && (result.error as { kind: string }).kind).toBe(kind);
  });

  it('gives up at the timeout when DeepL never answers', async () => {
    deepl.mode = 'timeout';
    expect(await service(glossary, 200).translate(database.db, unique(TEXT), 'en', 'ja', NOW)).toMatchObject({ ok: false, reason: 'timeout' });
  });

  it('answers a repeat from the cache without calling DeepL', async () => {
    const text = unique('Console recovered.');
    const first = await service().translate(database.db, text, 'en', 'ja', NOW);
    const before = callsTo(deepl, 'POST /v2/translate');
    const again = await service().translate(database.db, text, 'en', 'ja', NOW);
    expect(callsTo(deepl, 'POST /v2/translate')).toBe(before);
    expect(again).toEqual({ ...first, cached: true });
  });

  it('calls again when the glossary version changes', async () => {
    const text = unique('Console recovered.');
    await service().translate(database.db, text, 'en', 'ja', NOW);
    const before = callsTo(deepl, 'POST /v2/translate');
    const changed = buildGlossary({ components: [{ id: 'console', name: 'Console', names: { ja: '管理コンソール' } }], glossary: [] });
    const result = await service(changed).translate(database.db, text, 'en', 'ja', NOW);
    expect(callsTo(deepl, 'POST /v2/translate')).toBe(before + 1);
    expect(result.ok && result.text).toContain('管理コンソール');
  });

  it('does not call DeepL for a text made only of protected spans', async () => {
    const before = callsTo(deepl, 'POST /v2/translate');
    expect(await service().translate(database.db, 'INC-9: 40%', 'en', 'ja', NOW)).toEqual({ ok: true, cached: false, text: 'INC-9: 40%' });
    expect(callsTo(deepl, 'POST /v2/translate')).toBe(before);
  });
});

describeDb('DeepL glossary sync', () => {
  it('creates one glossary per pair from the catalog, used on every call', async () => {
    const translator = new DeeplTranslator({ authKey: FAKE_DEEPL_KEY, serverUrl: deepl.url, glossary, maxRetries: 0 });
    const id = await translator.syncGlossary('en', 'ja');
    const stored = deepl.glossaries.get(id!)!;
    expect(stored).toMatchObject({ name: `tsuiki ${glossary.version} en-ja`, source_lang: 'en', target_lang: 'ja', entry_count: 2 });
    expect(stored.entries.split('\n').sort()).toEqual(['Console\tコンソール (管理画面)', 'failover\tフェイルオーバー']);
    await translator.translate({ text: 'Hello', sourceLang: 'en', targetLang: 'ja' });
    expect(deepl.translateRequests.at(-1)!.get('glossary_id')).toBe(id);
    expect(await translator.syncGlossary('en', 'ja')).toBe(id);
  });

  it('replaces the glossary of an older catalog version', async () => {
    const old = buildGlossary({ components: [], glossary: [{ term: 'failover', ja: 'フェールオーバー' }] });
    const oldId = await new DeeplTranslator({ authKey: FAKE_DEEPL_KEY, serverUrl: deepl.url, glossary: old, maxRetries: 0 }).syncGlossary('ja', 'en');
    const newId = await new DeeplTranslator({ authKey: FAKE_DEEPL_KEY, serverUrl: deepl.url, glossary, maxRetries: 0 }).syncGlossary('ja', 'en');
    expect(deepl.glossaries.has(oldId!)).toBe(false);
    expect(deepl.glossaries.get(newId!)?.entries.split('\n').sort()).toEqual(['コンソール (管理画面)\tConsole', 'フェイルオーバー\tfailover']);
  });
});
