import type { AppContext } from '../../src/app/context.ts';
import { changeStatus } from '../../src/app/change-status.ts';
import { draftPublicUpdate } from '../../src/app/draft-public-update.ts';
import { editTranslation, publishUpdate } from '../../src/app/review-public-update.ts';
import type { ManualClock } from '../../src/core/clock.ts';
import type { Actor, Impact, SettableStatus } from '../../src/core/model.ts';
import type { Db } from '../../src/db/client.ts';
import { createHttpServer, type HttpServer } from '../../src/http.ts';
import { createLogger } from '../../src/logger.ts';
import { createMetrics } from '../../src/metrics.ts';
import { createStatusPage, type StatusPage, type StatusPageDeps } from '../../src/status-page/routes.ts';
import { declare, makeContext, metaOf, MINUTE, person, testI18n } from '../app/helpers.ts';

export const PUBLIC_URL = 'http://status.example.test';

/** A status page over `db` served on 127.0.0.1, with the test's clock; `fastPath` puts its fast path in front of the routes, as production does. */
export async function startStatusPage(
  db: Db,
  clock: ManualClock,
  overrides: Partial<StatusPageDeps> = {},
  serve: { fastPath?: boolean } = {},
): Promise<{ base: string; page: StatusPage; server: HttpServer; close(): Promise<void> }> {
  const page = createStatusPage({
    db,
    i18n: testI18n(),
    languages: ['en', 'ja'],
    timeZones: { en: 'UTC', ja: 'Asia/Tokyo' },
    publicUrl: PUBLIC_URL,
    now: () => clock.now(),
    pollMs: 60_000,
    ...overrides,
  });
  const server = createHttpServer({
    database: { ping: async () => {} },
    logger: createLogger({ level: 'silent' }),
    metrics: createMetrics(),
    routes: page.routes,
    ...(serve.fastPath ? { fastPath: page.fastPath } : {}),
  });
  await page.start();
  const { port } = await server.listen(0, '127.0.0.1');
  return {
    base: `http://127.0.0.1:${port}`,
    page,
    server,
    async close() {
      await server.close();
      await page.stop();
    },
  };
}

/** Drafts, translates and publishes one public update through the real use cases. */
export async function publish(
  ctx: AppContext,
  actor: Actor,
  incidentId: string,
  texts: { en: string; ja?: string },
  status?: SettableStatus,
): Promise<string> {
  const updateId = status
    ? (await changeStatus(ctx, metaOf(actor), incidentId, { status, publicText: texts.en })).outcome.update!.updateId
    : (await draftPublicUpdate(ctx, metaOf(actor), incidentId, { text: texts.en })).outcome.updateId;
  if (texts.ja) await editTranslation(ctx, metaOf(actor), updateId, { lang: 'ja', body: texts.ja });
  await publishUpdate(ctx, metaOf(actor), updateId);
  return updateId;
}

/** An open incident with two published updates (en + ja) on two components, declared through the use cases. */
export async function seedOpenIncident(
  db: Db,
  options: { title?: string; components?: string[]; impact?: Impact; start?: Date } = {},
): Promise<{ ctx: AppContext; clock: ManualClock; actor: Actor; incidentId: string; updateIds: string[] }> {
  const { ctx, clock } = makeContext(db, {}, options.start);
  const actor = person('Aiko');
  const { incidentId } = await declare(ctx, actor, {
    title: options.title ?? 'Elevated API error rates',
    components: options.components ?? ['api', 'console'],
    impact: options.impact ?? 'major_outage',
    severity: 'SEV2',
  });
  clock.advance(5 * MINUTE);
  const first = await publish(ctx, actor, incidentId, {
    en: 'We are investigating elevated error rates on the API.',
    ja: 'API のエラー率上昇について調査しています。',
  });
  clock.advance(20 * MINUTE);
  const second = await publish(
    ctx,
    actor,
    incidentId,
    { en: 'The cause has been identified: a failed database failover.', ja: '原因を特定しました: データベースのフェイルオーバーの失敗です。' },
    'identified',
  );
  clock.advance(5 * MINUTE);
  return { ctx, clock, actor, incidentId, updateIds: [first, second] };
}
