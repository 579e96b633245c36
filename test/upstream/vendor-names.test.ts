import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { followUpstream } from '../../src/app/follow-upstream.ts';
import * as t from '../../src/db/schema.ts';
import { createLogger } from '../../src/logger.ts';
import { EMPTY_GLOSSARY } from '../../src/translate/glossary.ts';
import { OpenAiTranslator } from '../../src/translate/openai.ts';
import { TranslationService } from '../../src/translate/translation-service.ts';
import { createUpstreamPoller } from '../../src/upstream/poller.ts';
import { makeContext, metaOf, person, testI18n } from '../app/helpers.ts';
import { createTestDatabase, describeDb, type TestDatabase } from '../helpers/database.ts';
import { FAKE_OPENAI_KEY, type FakeOpenAi, startFakeOpenAi } from '../helpers/translators/openai-server.ts';
import { type FakeStatuspage, startFakeStatuspage } from '../helpers/upstream/statuspage-server.ts';

let database: TestDatabase;
let fake: FakeOpenAi;
const pages: FakeStatuspage[] = [];
beforeAll(async () => {
  database = await createTestDatabase();
  fake = await startFakeOpenAi();
  // Reverses every word it is given: whatever is not protected comes back unrecognisable.
  fake.mode = 'rewrite-words';
});
afterAll(async () => {
  for (const page of pages) await page.close();
  await fake.close();
  await database.drop();
});

/** Follows a fake vendor page with a word-reversing translator, polls it once and returns the Japanese text of the draft. */
async function importedJapanese(body: string, componentName: string): Promise<string | undefined> {
  const translator = new TranslationService(new OpenAiTranslator({ baseUrl: fake.baseUrl, model: 'fake', apiKey: FAKE_OPENAI_KEY, maxRetries: 0 }), EMPTY_GLOSSARY, {
    timeoutMs: 5_000,
  });
  const { ctx: base } = makeContext(database.db, {}, new Date('2021-02-26T13:30:00Z'));
  const ctx = { ...base, translator };
  const page = await startFakeStatuspage('Twilio');
  pages.push(page);
  await followUpstream(ctx, metaOf(person('Aiko')), { url: page.baseUrl });
  page.openIncident({
    id: `inc-${pages.length}`,
    name: 'Degraded SMS delivery',
    impact: 'major',
    at: '2021-02-26T13:25:00.000Z',
    body,
    components: [{ name: componentName, status: 'major_outage' }],
  });
  const poller = createUpstreamPoller({ app: ctx, i18n: testI18n(), logger: createLogger({ level: 'silent' }), intervalMs: 60_000, only: [page.incidentsUrl] });
  const [report] = await poller.pollDue();
  const draft = report?.kind === 'imported' ? report.results[0]?.drafts[0] : undefined;
  if (!draft) throw new Error('nothing imported');
  const rows = await database.db.select().from(t.publicUpdateTranslation).where(eq(t.publicUpdateTranslation.updateId, draft.updateId));
  return rows.find((r) => r.lang === 'ja')?.body;
}

describeDb('a followed vendor’s component names through translation', () => {
  it('keeps the vendor’s component name exact in Japanese while the rest is translated', async () => {
    const ja = await importedJapanese('Programmable SMS messages are delayed.', 'Programmable SMS');
    expect(ja).toBe('Programmable SMS SEGASSEM ERA DEYALED.');
  });

  it('writes a vendor component the way COMPONENTS_FILE names it in Japanese', async () => {
    await database.db
      .insert(t.component)
      .values({ id: 'elastic-sip-trunking', name: 'Elastic SIP Trunking', names: { ja: 'SIP トランキング' }, position: 1, createdAt: new Date('2021-01-01T00:00:00Z') });
    const ja = await importedJapanese('Elastic SIP Trunking calls fail.', 'Elastic SIP Trunking');
    expect(ja).toBe('SIP トランキング SLLAC LIAF.');
  });
});
