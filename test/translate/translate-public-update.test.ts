import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import type { AppContext, AppSettings } from '../../src/app/context.ts';
import { draftPublicUpdate } from '../../src/app/draft-public-update.ts';
import { cancelUpdate, editTranslation } from '../../src/app/review-public-update.ts';
import { translatePublicUpdate } from '../../src/app/translate-public-update.ts';
import * as t from '../../src/db/schema.ts';
import { DeeplTranslator } from '../../src/translate/deepl.ts';
import { buildGlossary } from '../../src/translate/glossary.ts';
import { TranslationService } from '../../src/translate/translation-service.ts';
import { declare, makeContext, metaOf, person } from '../app/helpers.ts';
import { openConsole } from '../chat/helpers.ts';
import { createTestDatabase, describeDb, type TestDatabase } from '../helpers/database.ts';
import { callsTo } from '../helpers/translators/behaviour.ts';
import { FAKE_DEEPL_KEY, type FakeDeepl, startFakeDeepl } from '../helpers/translators/deepl-server.ts';

let database: TestDatabase;
let deepl: FakeDeepl;
const glossary = buildGlossary({ components: [{ id: 'console', name: 'Console', names: { ja: 'コンソール (管理画面)' } }], glossary: [] });

beforeAll(async () => {
  [database, deepl] = await Promise.all([createTestDatabase(), startFakeDeepl()]);
});
afterAll(async () => {
  await Promise.all([database.drop(), deepl.close()]);
});
beforeEach(() => {
  deepl.mode = 'faithful';
});

function context(settings: Partial<AppSettings> = {}, timeoutMs = 2_000): AppContext {
  const { ctx } = makeContext(database.db, settings);
  const translator = new DeeplTranslator({ authKey: FAKE_DEEPL_KEY, serverUrl: deepl.url, glossary, maxRetries: 0 });
  return { ...ctx, translator: new TranslationService(translator, glossary, { timeoutMs }) };
}

let n = 0;
async function drafted(ctx: AppContext, text = 'The Console is slow') {
  const author = person('Aiko');
  const { incidentId } = await declare(ctx, author);
  const { outcome } = await draftPublicUpdate(ctx, metaOf(author), incidentId, { text: `${text} (case ${++n}).` });
  return { author, updateId: outcome.updateId };
}

async function translations(updateId: string) {
  const rows = await database.db.select().from(t.publicUpdateTranslation).where(eq(t.publicUpdateTranslation.updateId, updateId));
  return Object.fromEntries(rows.map((r) => [r.lang, { body: r.body, origin: r.origin, translator: r.translator }]));
}

describeDb('translatePublicUpdate', () => {
  it('fills every missing language with a machine translation', async () => {
    const ctx = context();
    const { updateId } = await drafted(ctx);
    expect(await translatePublicUpdate(ctx, updateId)).toEqual({ filled: ['ja'], missing: [], failures: {} });
    expect((await translations(updateId)).ja).toEqual({ body: `[ja] The コンソール (管理画面) is slow (case ${n}).`, origin: 'machine', translator: 'deepl' });
  });

  it('never overwrites a translation a person typed, and does not ask for it', async () => {
    const ctx = context();
    const { author, updateId } = await drafted(ctx);
    await editTranslation(ctx, metaOf(author), updateId, { lang: 'ja', body: 'コンソールが遅くなっています。' });
    const before = callsTo(deepl, 'POST /v2/translate');
    expect(await translatePublicUpdate(ctx, updateId)).toEqual({ filled: [], missing: [], failures: {} });
    expect(callsTo(deepl, 'POST /v2/translate')).toBe(before);
    expect((await translations(updateId)).ja).toMatchObject({ body: 'コンソールが遅くなっています。', origin: 'human' });
  });

  it('leaves a language missing, with the reason, when the translator fails', async () => {
    const ctx = context();
    const { updateId } = await drafted(ctx);
    deepl.mode = 500;
    expect(await translatePublicUpdate(ctx, updateId)).toEqual({ filled: [], missing: ['ja'], failures: { ja: 'translator_failed' } });
    deepl.mode = 'faithful';
    expect((await translatePublicUpdate(ctx, updateId)).filled).toEqual(['ja']);
  });

  it('leaves a language missing when a protected span would be lost', async () => {
    const ctx = context();
    const { updateId } = await drafted(ctx);
    deepl.mode = 'drop-placeholder';
    expect(await translatePublicUpdate(ctx, updateId)).toMatchObject({ missing: ['ja'], failures: { ja: 'protected_span_lost' } });
    expect(Object.keys(await translations(updateId))).toEqual(['en']);
  });

  it('fills a published update afterwards with PUBLISH_APPROVAL=off', async () => {
    const ctx = context({ publishApproval: 'off' });
    const { updateId } = await drafted(ctx);
    expect((await translatePublicUpdate(ctx, updateId)).filled).toEqual(['ja']);
    expect(await translations(updateId)).toMatchObject({ en: { origin: 'approved' }, ja: { origin: 'machine' } });
  });

  it('does nothing for a cancelled update', async () => {
    const ctx = context();
    const { author, updateId } = await drafted(ctx);
    await cancelUpdate(ctx, metaOf(author), updateId);
    expect(await translatePublicUpdate(ctx, updateId)).toEqual({ filled: [], missing: [], failures: {} });
  });

  it('reports every other language missing without a translator (TRANSLATOR=none)', async () => {
    const { ctx } = makeContext(database.db);
    const { updateId } = await drafted(ctx);
    expect(await translatePublicUpdate(ctx, updateId)).toEqual({ filled: [], missing: ['ja'], failures: {} });
  });
});

describeDb('preview after publish in chat', () => {
  async function publishInChat(ctx: AppContext) {
    const cli = openConsole(database, ctx, person('Aiko'));
    await cli.say('/incident declare Console slow');
    return cli.say(`/incident publish The Console is slow (chat ${++n}).`);
  }

  it('shows the machine translation in the preview', async () => {
    const out = await publishInChat(context());
    expect(out).toContain('ja (machine translation)');
    expect(out).toContain(`[ja] The コンソール (管理画面) is slow (chat ${n}).`);
  });

  it('still shows the preview, with the language missing, when the translator times out', async () => {
    deepl.mode = 'timeout';
    const out = await publishInChat(context({}, 200));
    expect(out).toContain('ja: missing — type it with Edit translation');
    expect(out).toContain('Publish');
  });

  it('offers Retry translation while a language is missing, and fills it when pressed', async () => {
    deepl.mode = 500;
    const ctx = context();
    const cli = openConsole(database, ctx, person('Aiko'));
    await cli.say('/incident declare Console slow');
    const failed = await cli.say(`/incident publish The Console is slow (retry ${++n}).`);
    expect(failed).toContain('ja: missing — type it with Edit translation');
    const retry = /\[!(\d+) Retry translation\]/.exec(failed);
    expect(retry).not.toBeNull();
    deepl.mode = 'faithful';
    const retried = await cli.say(`!${retry![1]}`);
    expect(retried).toContain('Translation retried.');
    expect(retried).toContain(`[ja] The コンソール (管理画面) is slow (retry ${n}).`);
    expect(retried).not.toContain('Retry translation]');
  });

  it('offers no Retry translation when every language is there', async () => {
    const out = await publishInChat(context());
    expect(out).not.toContain('Retry translation');
  });
});
