import { performance } from 'node:perf_hooks';
import { type AppContext, createAppContext } from '../src/app/context.ts';
import { declareIncident } from '../src/app/declare-incident.ts';
import { draftPublicUpdate } from '../src/app/draft-public-update.ts';
import { translatePublicUpdate } from '../src/app/translate-public-update.ts';
import { systemClock } from '../src/core/clock.ts';
import type { Actor } from '../src/core/model.ts';
import { openDatabase } from '../src/db/client.ts';
import { createI18n } from '../src/i18n.ts';
import { DeeplTranslator } from '../src/translate/deepl.ts';
import { buildGlossary } from '../src/translate/glossary.ts';
import { TranslationService } from '../src/translate/translation-service.ts';
import { FAKE_DEEPL_KEY, startFakeDeepl } from '../test/helpers/translators/deepl-server.ts';
import type { BenchRow } from './run.ts';

const UPDATES = 100;
// "Within seconds" (PRODUCT.md): the preview must show every language well inside Slack's patience.
const READY_TARGET = '≤ 1000 ms';

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/**
 * Publish → all languages ready, with a local DeepL-compatible server (no network), on PGlite:
 * the first translation of each update (translator call + cache write) and a repeat of the
 * same text (cache hit, no call). Baseline: the draft's own transaction.
 */
export async function run(): Promise<BenchRow[]> {
  const database = await openDatabase({});
  const deepl = await startFakeDeepl();
  try {
    const glossary = buildGlossary({ components: [{ id: 'console', name: 'Console', names: { ja: 'コンソール (管理画面)' } }], glossary: [] });
    const translator = new TranslationService(new DeeplTranslator({ authKey: FAKE_DEEPL_KEY, serverUrl: deepl.url, glossary, maxRetries: 0 }), glossary, { timeoutMs: 5_000 });
    const settings = {
      locales: ['en', 'ja', 'de', 'fr'],
      teamTimeZone: 'UTC',
      timeZones: { en: 'UTC', ja: 'Asia/Tokyo', de: 'Europe/Berlin', fr: 'Europe/Paris' },
      publishApproval: 'preview' as const,
      updateReminderMinutes: 30,
      strictComponents: false,
      publicUrl: 'http://localhost:3000',
    };
    const app: AppContext = createAppContext(database.db, systemClock, settings, createI18n(['en', 'ja']), translator);
    const actor: Actor = { platform: 'console', id: 'U-bench', name: 'Aiko', lang: 'en' };
    const { outcome } = await declareIncident(app, { actor }, { title: 'Console slow' });
    const draftMs: number[] = [];
    const readyMs: number[] = [];
    const hitMs: number[] = [];
    for (let i = 0; i < UPDATES; i++) {
      const text = `The Console answers 250 ms slower since 15:20 UTC; see INC-${i}. We are investigating.`;
      const start = performance.now();
      const { outcome: draft } = await draftPublicUpdate(app, { actor }, outcome.incidentId, { text });
      const drafted = performance.now();
      const first = await translatePublicUpdate(app, draft.updateId);
      const ready = performance.now();
      if (first.missing.length) throw new Error(`languages missing: ${first.missing.join(', ')}`);
      const { outcome: again } = await draftPublicUpdate(app, { actor }, outcome.incidentId, { text });
      const hitStart = performance.now();
      await translatePublicUpdate(app, again.updateId);
      hitMs.push(performance.now() - hitStart);
      draftMs.push(drafted - start);
      readyMs.push(ready - start);
    }
    const calls = deepl.calls.get('POST /v2/translate') ?? 0;
    if (calls !== UPDATES * 3) throw new Error(`expected ${UPDATES * 3} translator calls, saw ${calls}: the cache missed`);
    const sort = (xs: number[]) => [...xs].sort((a, b) => a - b);
    const [d, r, h] = [sort(draftMs), sort(readyMs), sort(hitMs)];
    const baseline = percentile(d, 50);
    const row = (metric: string, value: number, target?: string): BenchRow => ({
      metric,
      value: Math.round(value * 10) / 10,
      unit: 'ms',
      baseline: Math.round(baseline * 10) / 10,
      baselineLabel: 'draft transaction alone (median)',
      ratio: Math.round((value / baseline) * 100) / 100,
      ...(target ? { target } : {}),
    });
    return [
      row('publish → 4 languages ready, local translator, PGlite (median)', percentile(r, 50), READY_TARGET),
      row('publish → 4 languages ready, local translator, PGlite (p99)', percentile(r, 99), READY_TARGET),
      row('cache hit: 3 languages, no translator call (median)', percentile(h, 50)),
    ];
  } finally {
    await deepl.close();
    await database.close();
  }
}
