import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { buildGlossary } from '../../src/translate/glossary.ts';
import { OpenAiTranslator, translationPrompt } from '../../src/translate/openai.ts';
import { TranslationService } from '../../src/translate/translation-service.ts';
import { createTestDatabase, describeDb, type TestDatabase } from '../helpers/database.ts';
import { callsTo } from '../helpers/translators/behaviour.ts';
import { FAKE_OPENAI_KEY, type FakeOpenAi, startFakeOpenAi } from '../helpers/translators/openai-server.ts';

let database: TestDatabase;
let openai: FakeOpenAi;
const NOW = new Date('2026-02-26T15:20:00Z');
const glossary = buildGlossary({ components: [{ id: 'console', name: 'Console', names: { ja: 'コンソール (管理画面)' } }], glossary: [] });

function service(timeoutMs = 2_000, apiKey = FAKE_OPENAI_KEY) {
  return new TranslationService(new OpenAiTranslator({ baseUrl: openai.baseUrl, apiKey, model: 'local-mt', maxRetries: 0 }), glossary, { timeoutMs });
}

let n = 0;
const unique = (text: string) => `${text} Ref INC-${++n}.`;
const TEXT = 'Console errors: 3 GB queued, mail ops@example.com, see JIRA-123 at 2026-02-26T15:20Z.';
const SPANS = ['コンソール (管理画面)', '3 GB', 'ops@example.com', 'JIRA-123', '2026-02-26T15:20Z'];

beforeAll(async () => {
  [database, openai] = await Promise.all([createTestDatabase(), startFakeOpenAi()]);
});
afterAll(async () => {
  await Promise.all([database.drop(), openai.close()]);
});
beforeEach(() => {
  openai.mode = 'faithful';
});

describeDb('OpenAI-compatible adapter through the translation service', () => {
  it('sends the masked text with the prompt and the model, and restores every span', async () => {
    const result = await service().translate(database.db, unique(TEXT), 'en', 'ja', NOW);
    for (const span of SPANS) expect(result.ok && result.text).toContain(span);
    const request = openai.requests.at(-1)!;
    expect(request.model).toBe('local-mt');
    expect(request.messages[0]).toEqual({ role: 'system', content: translationPrompt('en', 'ja') });
    expect(request.messages[1]!.content).toMatch(/^⟦0⟧ errors: ⟦1⟧ queued/);
  });

  it('asks for the register, meaning and length kept and nothing added', () => {
    const prompt = translationPrompt('en', 'ja');
    expect(prompt).toContain('from English to Japanese');
    expect(prompt).toMatch(/register/);
    expect(prompt).toMatch(/Add nothing/);
    expect(prompt).toMatch(/⟦0⟧/);
  });

  it('keeps every span exact when the model rewrites every word', async () => {
    openai.mode = 'rewrite-words';
    const result = await service().translate(database.db, unique(TEXT), 'en', 'ja', NOW);
    expect(result.ok && result.text).toMatch(/^コンソール \(管理画面\) SRORRE/);
    for (const span of SPANS) expect(result.ok && result.text).toContain(span);
  });

  it('reports a dropped placeholder as a lost span', async () => {
    openai.mode = 'drop-placeholder';
    expect(await service().translate(database.db, unique(TEXT), 'en', 'ja', NOW)).toEqual({ ok: false, reason: 'protected_span_lost' });
  });

  it.each([429, 500] as const)('reports HTTP %s as a failed translator', async (status) => {
    openai.mode = status;
    expect(await service().translate(database.db, unique(TEXT), 'en', 'ja', NOW)).toMatchObject({ ok: false, reason: 'translator_failed' });
  });

  it('reports a wrong key as rejected', async () => {
    const result = await service(2_000, 'sk-wrong').translate(database.db, unique(TEXT), 'en', 'ja', NOW);
    expect(!result.ok && (result.error as { kind: string }).kind).toBe('rejected');
  });

  it('gives up at the timeout and aborts the request', async () => {
    openai.mode = 'timeout';
    expect(await service(200).translate(database.db, unique(TEXT), 'en', 'ja', NOW)).toMatchObject({ ok: false, reason: 'timeout' });
  });

  it('answers a repeat from the cache without calling the endpoint', async () => {
    const text = unique('Console recovered.');
    await service().translate(database.db, text, 'en', 'ja', NOW);
    const before = callsTo(openai, 'POST /v1/chat/completions');
    expect(await service().translate(database.db, text, 'en', 'ja', NOW)).toMatchObject({ ok: true, cached: true });
    expect(callsTo(openai, 'POST /v1/chat/completions')).toBe(before);
  });

  it('keys the cache by model: another model is asked again', async () => {
    const text = unique('Console recovered.');
    await service().translate(database.db, text, 'en', 'ja', NOW);
    const before = callsTo(openai, 'POST /v1/chat/completions');
    const other = new TranslationService(new OpenAiTranslator({ baseUrl: openai.baseUrl, apiKey: FAKE_OPENAI_KEY, model: 'other', maxRetries: 0 }), glossary, { timeoutMs: 2_000 });
    await other.translate(database.db, text, 'en', 'ja', NOW);
    expect(callsTo(openai, 'POST /v1/chat/completions')).toBe(before + 1);
  });
});
