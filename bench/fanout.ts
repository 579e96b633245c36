import { mkdtempSync, rmSync } from 'node:fs';
import { type ChildProcess, fork } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { sql } from 'drizzle-orm';
import nodemailer from 'nodemailer';
import { declareIncident } from '../src/app/declare-incident.ts';
import { draftPublicUpdate } from '../src/app/draft-public-update.ts';
import { importSubscribers } from '../src/app/import-subscribers.ts';
import { editTranslation, publishUpdate } from '../src/app/review-public-update.ts';
import { loadConfig } from '../src/config.ts';
import { rowsOf } from '../src/db/client.ts';
import { createLogger } from '../src/logger.ts';
import { startServer } from '../src/main.ts';
import { loadPublishedUpdate, loadRecipients } from '../src/outbox/deliveries.ts';
import { renderUpdateMail } from '../src/publish/email.ts';
import type { ReceiverMessage } from './fixtures/receivers.ts';
import type { BenchRow } from './run.ts';
import { percentile, serverVersion, withScratchPostgres } from './support.ts';

/** Alternating rounds of tsuiki's fan-out and the baseline; the table shows medians. */
const ROUNDS = 3;
const EMAILS = 5_000;
const WEBHOOKS = 5_000;
/** The whole benchmark stops with an error after this long. */
const LIMIT_MS = 180_000;
/** tsuiki's pool (src/publish/email.ts: pool: true, maxConnections 5; publishingPart passes no override). */
const POOL = { pool: true, maxConnections: 5 } as const;
const FROM = 'Status <status@bench.example.com>';

/** The receivers in a child process of their own (bench/fixtures/receivers.ts), asked over IPC. */
async function startReceivers() {
  const child: ChildProcess = fork(join(import.meta.dirname, 'fixtures', 'receivers.ts'), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const replies: Array<(m: ReceiverMessage) => void> = [];
  const ready = new Promise<Extract<ReceiverMessage, { type: 'ready' }>>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`receivers exited (${code}) before they were ready`)));
    replies.push((m) => (m.type === 'ready' ? resolve(m) : reject(new Error(`receivers: unexpected ${m.type}`))));
  });
  child.on('message', (m: ReceiverMessage) => replies.shift()?.(m));
  const ask = <T extends ReceiverMessage['type']>(type: T) =>
    new Promise<Extract<ReceiverMessage, { type: T }>>((resolve) => {
      replies.push((m) => resolve(m as Extract<ReceiverMessage, { type: T }>));
      child.send({ type });
    });
  const { smtpUrl, hookBase } = await ready;
  return {
    smtpUrl,
    hookBase,
    stats: async () => (await ask('stats')).stats,
    reset: async () => void (await ask('reset')),
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.send({ type: 'close' });
      }),
  };
}

function remaining(deadline: number, what: string): number {
  const left = deadline - performance.now();
  if (left <= 0) throw new Error(`fanout: gave up after ${LIMIT_MS / 1000} s while ${what}`);
  return left;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`fanout: gave up after ${LIMIT_MS / 1000} s while ${what}`)), ms);
    }),
  ]);
}

/**
 * One public update to 10,000 confirmed subscribers (5,000 email to a local SMTP sink,
 * 5,000 webhooks to a local receiver) on PostgreSQL, delivered by the server's own
 * publishing part — beside raw nodemailer with the same pool sending 5,000 mails to the
 * same sink.
 */
export async function run(): Promise<BenchRow[]> {
  const deadline = performance.now() + LIMIT_MS;
  return (
    (await withScratchPostgres(async (url) => {
      const receivers = await startReceivers();
      const dir = mkdtempSync(join(tmpdir(), 'tsuiki-bench-fanout-'));
      const config = loadConfig({
        PORT: '0',
        HOST: '127.0.0.1',
        DATA_DIR: join(dir, 'data'),
        DATABASE_URL: url,
        LOG_LEVEL: 'silent',
        LOCALES: 'en,ja',
        SMTP_URL: receivers.smtpUrl,
        MAIL_FROM: FROM,
        PUBLIC_URL: 'https://status.bench.example.com',
        TRANSLATOR: 'none',
      });
      // The server as `tsuiki serve` runs it: every server part, including the publishing worker.
      const server = await startServer(config, createLogger({ level: 'silent' }));
      try {
        const { app, database } = server.runtime;
        const db = database.db;
        const version = await serverVersion(database);

        // Subscribers through the import use case (`tsuiki subscribers import`), half of them in Japanese.
        const secret = `whsec_${Buffer.from('tsuiki-bench-fanout-secret-32by').toString('base64')}`;
        const lines = ['type,address,lang,time_zone,components,secret'];
        for (let i = 0; i < EMAILS; i++) lines.push(i % 2 ? `email,user${i}@bench.example.com,ja,Asia/Tokyo,,` : `email,user${i}@bench.example.com,en,Europe/Berlin,,`);
        for (let i = 0; i < WEBHOOKS; i++) lines.push(`webhook,${receivers.hookBase}/hook/${i},${i % 2 ? 'ja' : 'en'},,,${secret}`);
        const imported = await withTimeout(
          importSubscribers(db, `${lines.join('\n')}\n`, { locales: config.locales, timeZones: config.timeZones, now: new Date() }),
          remaining(deadline, 'importing subscribers'),
          'importing subscribers',
        );
        if (imported.errors.length > 0 || imported.added !== EMAILS + WEBHOOKS) {
          throw new Error(`import: added ${imported.added}, errors ${JSON.stringify(imported.errors.slice(0, 3))}`);
        }

        const actor = { platform: 'console' as const, id: 'U-bench', name: 'bench', lang: 'en' };
        const { outcome: declared } = await declareIncident(app, { actor }, { title: 'Elevated API errors', impact: 'major_outage' });

        /** One public update to every subscriber: drafted, translated, published, watched until all delivered. */
        const fanOut = async (round: number) => {
          const { outcome: drafted } = await draftPublicUpdate(app, { actor }, declared.incidentId, {
            text: `Update ${round}: we are investigating elevated error rates on the public API. Some requests fail with 503.`,
          });
          await editTranslation(app, { actor }, drafted.updateId, { lang: 'ja', body: `第${round}報: 公開 API のエラー率の上昇を調査しています。一部のリクエストが 503 で失敗します。` });
          await receivers.reset();

          // Publish: the update and its 10,000 outbox rows commit in one transaction.
          const publishWall = Date.now();
          const publishStart = performance.now();
          await publishUpdate(app, { actor, inIncidentChannel: true }, drafted.updateId);
          const publishMs = performance.now() - publishStart;

          // Wait, as an observer, until every email and webhook delivery is `delivered`.
          type Count = { target: string; state: string; n: number; last: number | null; retries: number };
          let counts: Count[] = [];
          const delivered = (target: string) => counts.find((c) => c.target === target && c.state === 'delivered')?.n ?? 0;
          for (;;) {
            counts = rowsOf<Count>(
              await db.execute(sql`
                select target, state, count(*)::int as n, (extract(epoch from max(delivered_at)) * 1000)::float8 as last,
                       coalesce(sum(greatest(attempts - 1, 0)), 0)::int as retries
                from delivery where update_id = ${drafted.updateId} group by target, state`),
            );
            const dead = counts.filter((c) => c.state === 'dead' && (c.target === 'email' || c.target === 'webhook'));
            if (dead.length > 0) {
              const [sampleError] = rowsOf<{ e: string }>(
                await db.execute(sql`select last_error as e from delivery where update_id = ${drafted.updateId} and state = 'dead' limit 1`),
              );
              throw new Error(`fanout: dead deliveries ${JSON.stringify(dead)}: ${sampleError?.e}`);
            }
            if (delivered('email') >= EMAILS && delivered('webhook') >= WEBHOOKS) break;
            if (performance.now() > deadline) {
              throw new Error(`fanout: gave up after ${LIMIT_MS / 1000} s; deliveries ${JSON.stringify(counts.map(({ target, state, n }) => ({ target, state, n })))}`);
            }
            await new Promise((r) => setTimeout(r, 100));
          }
          const totalMs = performance.now() - publishStart;
          const lastAt = (target: string) => Number(counts.find((c) => c.target === target && c.state === 'delivered')!.last);
          // From the publish click to the last mail's recorded delivery (the observer's poll interval excluded).
          const emailMs = Math.max(1, lastAt('email') - publishWall);
          const webhookMs = Math.max(1, lastAt('webhook') - publishWall);
          const retries = counts.filter((c) => c.target === 'email' || c.target === 'webhook').reduce((n, c) => n + c.retries, 0);

          // What the receivers saw: exactly one mail and one request per subscriber, no repeats.
          const seen = await receivers.stats();
          const problems = [
            seen.distinctMessageIds !== EMAILS && `SMTP sink: ${seen.distinctMessageIds} distinct Message-IDs, expected ${EMAILS}`,
            seen.distinctRecipients !== EMAILS && `SMTP sink: ${seen.distinctRecipients} distinct recipients, expected ${EMAILS}`,
            seen.repeatedMessageIds.length > 0 && `SMTP sink: Message-IDs received more than once (e.g. ${seen.repeatedMessageIds[0]})`,
            seen.repeatedRecipients > 0 && `SMTP sink: ${seen.repeatedRecipients} recipients got more than one mail`,
            seen.distinctWebhookIds !== WEBHOOKS && `webhook receiver: ${seen.distinctWebhookIds} distinct webhook-ids, expected ${WEBHOOKS}`,
            seen.distinctPaths !== WEBHOOKS && `webhook receiver: ${seen.distinctPaths} distinct URLs, expected ${WEBHOOKS}`,
            seen.repeatedWebhookIds > 0 && `webhook receiver: ${seen.repeatedWebhookIds} webhook-ids received more than once`,
          ].filter(Boolean);
          if (problems.length > 0) throw new Error(`fanout: ${problems.join('; ')}`);
          return { updateId: drafted.updateId, publishMs, totalMs, emailRate: EMAILS / (emailMs / 1000), webhookRate: WEBHOOKS / (webhookMs / 1000), retries, seen };
        };

        /** Raw nodemailer with tsuiki's pool settings sending 5,000 mails of tsuiki's own rendering, pre-rendered, to the same sink. */
        const baselineOnce = async (updateId: string) => {
          const update = await loadPublishedUpdate(db, updateId);
          const [first] = rowsOf<{ id: string }>(await db.execute(sql`select id from subscriber where kind = 'email' order by address limit 1`));
          const recipient = (await loadRecipients(db, [first!.id])).get(first!.id);
          if (!update || !recipient) throw new Error('baseline: published update or subscriber not found');
          const sample = renderUpdateMail(update, recipient, { from: FROM, publicUrl: config.publicUrl, i18n: server.runtime.i18n });
          await receivers.reset();
          const transport = nodemailer.createTransport({ url: receivers.smtpUrl, ...POOL } as never);
          const start = performance.now();
          try {
            await withTimeout(
              Promise.all(
                Array.from({ length: EMAILS }, (_, i) =>
                  transport.sendMail({
                    from: FROM,
                    to: `baseline${i}@bench.example.com`,
                    subject: sample.subject,
                    text: sample.text,
                    html: sample.html,
                    messageId: `<baseline.${updateId}.${i}@bench.example.com>`,
                    headers: sample.headers,
                  }),
                ),
              ),
              remaining(deadline, 'sending the baseline mails'),
              'sending the baseline mails',
            );
          } finally {
            transport.close();
          }
          const ms = performance.now() - start;
          const seen = await receivers.stats();
          if (seen.distinctMessageIds !== EMAILS || seen.mails !== EMAILS) {
            throw new Error(`baseline: sink received ${seen.mails} mails (${seen.distinctMessageIds} distinct), expected ${EMAILS}`);
          }
          return { ms, rate: EMAILS / (ms / 1000) };
        };

        // Rounds alternate tsuiki and the baseline, so a machine that drifts (other load, CPU
        // frequency) weighs on both alike; each figure is the median of its rounds. The
        // baseline goes second in a round, so a cold JIT handicaps tsuiki, not it.
        const fanOuts: Awaited<ReturnType<typeof fanOut>>[] = [];
        const baselines: Awaited<ReturnType<typeof baselineOnce>>[] = [];
        for (let round = 1; round <= ROUNDS; round++) {
          const f = await fanOut(round);
          const b = await baselineOnce(f.updateId);
          fanOuts.push(f);
          baselines.push(b);
          console.log(
            `  fanout round ${round}/${ROUNDS}: publish ${Math.round(f.publishMs)} ms; all ${EMAILS + WEBHOOKS} delivered ${(f.totalMs / 1000).toFixed(1)} s after publish; ` +
              `email ${Math.round(f.emailRate)} msg/s, webhooks ${Math.round(f.webhookRate)} req/s; ${f.retries} retries; received ${f.seen.mails} mails, ${f.seen.webhooks} webhooks, no duplicates; ` +
              `baseline ${Math.round(b.rate)} msg/s`,
          );
        }
        const median = (xs: number[]) => percentile(xs, 0.5);
        const publishMs = median(fanOuts.map((f) => f.publishMs));
        const totalMs = median(fanOuts.map((f) => f.totalMs));
        const emailRate = median(fanOuts.map((f) => f.emailRate));
        const webhookRate = median(fanOuts.map((f) => f.webhookRate));
        const baselineMs = median(baselines.map((b) => b.ms));
        const baselineRate = median(baselines.map((b) => b.rate));
        const retries = fanOuts.reduce((n, f) => n + f.retries, 0);

        console.log(`  fanout: PostgreSQL ${version}; medians of ${ROUNDS} rounds; ${retries} retries in all`);
        return [
          {
            metric: `fan-out to ${(EMAILS + WEBHOOKS).toLocaleString('en-US')} subscribers (publish → all delivered), PostgreSQL, median of ${ROUNDS}`,
            value: totalMs / 1000,
            unit: 's',
            baseline: baselineMs / 1000,
            baselineLabel: `raw nodemailer pool, ${EMAILS.toLocaleString('en-US')} mails alone`,
            ratio: totalMs / baselineMs,
            target: '≤ 60 s',
          },
          {
            metric: `email throughput during fan-out (${EMAILS.toLocaleString('en-US')} mails), median of ${ROUNDS}`,
            value: emailRate,
            unit: 'msg/s',
            baseline: baselineRate,
            baselineLabel: `raw nodemailer pool, maxConnections ${POOL.maxConnections}, same sink`,
            ratio: emailRate / baselineRate,
            target: '≥ 0.7× raw nodemailer',
          },
          {
            // Mail and webhooks share one worker: this is the rate of all deliveries together.
            metric: `all deliveries during fan-out (${(EMAILS + WEBHOOKS).toLocaleString('en-US')}, mail + webhooks)`,
            value: (EMAILS + WEBHOOKS) / (totalMs / 1000),
            unit: 'deliveries/s',
            baseline: baselineRate,
            baselineLabel: 'raw nodemailer pool, mail only',
            ratio: (EMAILS + WEBHOOKS) / (totalMs / 1000) / baselineRate,
            target: '–',
          },
          {
            metric: `webhook throughput during fan-out (${WEBHOOKS.toLocaleString('en-US')} requests)`,
            value: webhookRate,
            unit: 'req/s',
            target: '–',
          },
          {
            metric: `publish transaction (update + ${(EMAILS + WEBHOOKS).toLocaleString('en-US')} outbox rows)`,
            value: publishMs,
            unit: 'ms',
            target: '–',
          },
        ];
      } finally {
        await server.stop();
        await receivers.close();
        rmSync(dir, { recursive: true, force: true });
      }
    })) ?? []
  );
}
