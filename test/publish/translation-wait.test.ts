import type { ParsedMail } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { draftPublicUpdate } from '../../src/app/draft-public-update.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';
import { createMetrics } from '../../src/metrics.ts';
import { createPublishingPart } from '../../src/publish/part.ts';
import { createRuntime } from '../../src/runtime.ts';
import { EMPTY_GLOSSARY } from '../../src/translate/glossary.ts';
import { OpenAiTranslator } from '../../src/translate/openai.ts';
import { TranslationService } from '../../src/translate/translation-service.ts';
import { declare, metaOf, testI18n } from '../app/helpers.ts';
import { createTestDatabase, describeDb, type TestDatabase } from '../helpers/database.ts';
import { FAKE_OPENAI_KEY, type FakeOpenAi, startFakeOpenAi } from '../helpers/translators/openai-server.ts';
import { addSubscriber, author } from './helpers.ts';
import { startSmtpSink } from '../helpers/smtp-sink.ts';

let database: TestDatabase;
let sink: Awaited<ReturnType<typeof startSmtpSink>>;
let fake: FakeOpenAi;
beforeAll(async () => {
  database = await createTestDatabase();
  sink = await startSmtpSink();
  fake = await startFakeOpenAi();
});
afterAll(async () => {
  await fake.close();
  await sink.close();
  await database.drop();
});

const mailsTo = (address: string): ParsedMail[] => sink.mails.filter((m) => (Array.isArray(m.to) ? m.to : [m.to]).some((to) => to?.text === address));

/**
 * The server's publishing part (delivery worker and the translate job) over the real SMTP
 * sink and the fake OpenAI-compatible translator, with PUBLISH_APPROVAL=off and a short wait.
 */
async function serve(waitSeconds: number, translatorTimeoutMs: number) {
  const config = loadConfig({
    LOCALES: 'en,ja',
    PUBLISH_APPROVAL: 'off',
    TRANSLATION_WAIT_SECONDS: String(waitSeconds),
    SMTP_URL: sink.url,
    MAIL_FROM: 'Status <status@example.com>',
    PUBLIC_URL: 'https://status.example.com',
    LOG_LEVEL: 'silent',
  });
  const translator = new TranslationService(new OpenAiTranslator({ baseUrl: fake.baseUrl, model: 'fake', apiKey: FAKE_OPENAI_KEY, maxRetries: 0 }), EMPTY_GLOSSARY, {
    timeoutMs: translatorTimeoutMs,
  });
  const runtime = createRuntime(config, database, { translator, i18n: testI18n(), jobPollMs: 100 });
  const part = createPublishingPart({ runtime, logger: createLogger({ level: 'silent' }), metrics: createMetrics() }, { worker: { intervalMs: 100 } });
  await part.start?.();
  return {
    app: runtime.app,
    stop: async () => {
      await part.stop?.();
      await runtime.close();
    },
  };
}

let seq = 0;
/** A component and addresses of the test's own, so tests sharing the database do not see each other's mail. */
async function readers() {
  const c = `tw${++seq}-${Math.random().toString(36).slice(2, 8)}`;
  const ja = `tanaka-${c}@example.jp`;
  const en = `ana-${c}@example.com`;
  await addSubscriber(database.db, { kind: 'email', address: ja, lang: 'ja', timeZone: 'Asia/Tokyo', components: [c] });
  await addSubscriber(database.db, { kind: 'email', address: en, lang: 'en', components: [c] });
  return { c, ja, en };
}

describeDb('translation-aware delivery (PUBLISH_APPROVAL=off, real SMTP)', () => {
  describe('a translator that answers after 5 s', () => {
    it('sends the Japanese subscriber its first mail in Japanese, the English one at once', async () => {
      fake.mode = 'faithful';
      fake.delayMs = 5_000;
      const server = await serve(20, 10_000);
      try {
        const { c, ja, en } = await readers();
        const { incidentId } = await declare(server.app, author, { components: [c], impact: 'major_outage' });
        await draftPublicUpdate(server.app, metaOf(author), incidentId, { text: 'We are investigating elevated error rates.' });
        await vi.waitFor(() => expect(mailsTo(en)).toHaveLength(1), { timeout: 4_000, interval: 50 });
        expect(mailsTo(ja)).toHaveLength(0);
        await vi.waitFor(() => expect(mailsTo(ja)).toHaveLength(1), { timeout: 15_000, interval: 100 });
        const mail = mailsTo(ja)[0]!;
        expect(mail.headers.get('content-language')).toBe('ja');
        expect(mail.text).toContain('[ja] We are investigating elevated error rates.');
        expect(mail.text).not.toContain('原文');
        // Nothing follows: the first mail already was in Japanese.
        await new Promise((resolve) => setTimeout(resolve, 500));
        expect(mailsTo(ja)).toHaveLength(1);
      } finally {
        fake.delayMs = 0;
        await server.stop();
      }
    });
  });

  describe('a translator that never answers', () => {
    it('sends the source text under the notice after the wait, then the translation as a reply once the translator recovers', async () => {
      fake.mode = 'timeout';
      const server = await serve(1, 300);
      try {
        const { c, ja } = await readers();
        const { incidentId } = await declare(server.app, author, { components: [c], impact: 'major_outage' });
        await draftPublicUpdate(server.app, metaOf(author), incidentId, { text: 'Calls are failing in one region.' });
        await vi.waitFor(() => expect(mailsTo(ja)).toHaveLength(1), { timeout: 8_000, interval: 50 });
        const first = mailsTo(ja)[0]!;
        expect(first.text).toContain('原文（英語）: 翻訳は追ってお送りします。\n\nCalls are failing in one region.');
        expect(first.html).toContain('<p style="white-space:pre-wrap" lang="en">Calls are failing in one region.</p>');

        fake.mode = 'faithful';
        await vi.waitFor(() => expect(mailsTo(ja)).toHaveLength(2), { timeout: 20_000, interval: 100 });
        const reply = mailsTo(ja)[1]!;
        expect(reply.inReplyTo).toBe(first.messageId);
        expect([reply.references].flat()).toContain(first.messageId);
        expect(reply.subject).toBe(`${first.subject}（翻訳）`);
        expect(reply.text).toContain('先に原文（英語）でお送りした更新の翻訳です。\n\n[ja] Calls are failing in one region.');
        expect(reply.headers.get('content-language')).toBe('ja');
      } finally {
        fake.mode = 'faithful';
        await server.stop();
      }
    });
  });
});
