import { randomBytes, randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { createAppContext, type AppContext } from '../../../src/app/context.ts';
import { declareIncident } from '../../../src/app/declare-incident.ts';
import { draftPublicUpdate } from '../../../src/app/draft-public-update.ts';
import { importSubscribers } from '../../../src/app/import-subscribers.ts';
import { editTranslation, publishUpdate } from '../../../src/app/review-public-update.ts';
import { loadConfig } from '../../../src/config.ts';
import type { Actor } from '../../../src/core/model.ts';
import { systemClock } from '../../../src/core/clock.ts';
import { type Db, rowsOf } from '../../../src/db/client.ts';
import * as t from '../../../src/db/schema.ts';
import { createI18n } from '../../../src/i18n.ts';
import { appSettingsFor } from '../../../src/runtime.ts';

export const MAIL_FROM = 'Status <status@faults.example.com>';
export const MAIL_DOMAIN = 'faults.example.com';
export const PUBLIC_URL = 'https://status.faults.example.com';

/** One Standard Webhooks secret for every webhook subscriber of a test. */
export const newSecret = () => `whsec_${randomBytes(24).toString('base64')}`;

/** The settings the children get too (LOCALES, PUBLIC_URL), so the test's use cases and the servers agree. */
const config = loadConfig({ LOCALES: 'en,ja', PUBLIC_URL, TRANSLATOR: 'none' });

/** The use-case context of the test process itself: the same use cases `tsuiki console` and the chat front ends call. */
export function appFor(db: Db): AppContext {
  return createAppContext(db, systemClock, appSettingsFor(config), createI18n(config.locales));
}

export const responder: Actor = { platform: 'console', id: 'U-faults', name: 'faults', lang: 'en' };

/** The subscribers of a test: `emails` addresses `user<i>@subscribers.example.com` and `webhooks` URLs `<webhookBase>/hook/<i>`, half of each in Japanese. */
export interface SubscriberSet {
  emails: number;
  webhooks: number;
  webhookBase: string;
  secret: string;
}

function csvOf(input: SubscriberSet): string {
  const lines = ['type,address,lang,time_zone,components,secret'];
  for (let i = 0; i < input.emails; i++) lines.push(i % 2 ? `email,user${i}@subscribers.example.com,ja,Asia/Tokyo,,` : `email,user${i}@subscribers.example.com,en,Europe/Berlin,,`);
  for (let i = 0; i < input.webhooks; i++) lines.push(`webhook,${input.webhookBase}/hook/${i},${i % 2 ? 'ja' : 'en'},,,${input.secret}`);
  return `${lines.join('\n')}\n`;
}

/** Imports the set through the import use case (`tsuiki subscribers import`): confirmed, consent collected elsewhere. */
export async function importSubscriberSet(db: Db, input: SubscriberSet): Promise<void> {
  const result = await importSubscribers(db, csvOf(input), { locales: config.locales, timeZones: config.timeZones, now: new Date() });
  if (result.errors.length > 0 || result.added !== input.emails + input.webhooks) {
    throw new Error(`import: added ${result.added}, errors ${JSON.stringify(result.errors.slice(0, 3))}`);
  }
}

/**
 * The same set written straight into `subscriber`, 1,000 rows a statement: the import use
 * case writes row by row, which takes 10–40 s for 10,000 on a busy 2-core machine, and the
 * import is not what these tests are about.
 */
export async function insertSubscriberSet(db: Db, input: SubscriberSet): Promise<void> {
  const now = new Date();
  const rows = [
    ...Array.from({ length: input.emails }, (_, i) => ({
      kind: 'email',
      address: `user${i}@subscribers.example.com`,
      lang: i % 2 ? 'ja' : 'en',
      timeZone: i % 2 ? 'Asia/Tokyo' : 'Europe/Berlin',
      secret: null,
    })),
    ...Array.from({ length: input.webhooks }, (_, i) => ({
      kind: 'webhook',
      address: `${input.webhookBase}/hook/${i}`,
      lang: i % 2 ? 'ja' : 'en',
      timeZone: i % 2 ? 'Asia/Tokyo' : 'UTC',
      secret: input.secret,
    })),
  ].map((r) => ({ ...r, id: randomUUID(), components: [], confirmed: true, unsubscribeToken: randomBytes(24).toString('base64url'), createdAt: now, updatedAt: now }));
  for (let i = 0; i < rows.length; i += 1_000) await db.insert(t.subscriber).values(rows.slice(i, i + 1_000));
}

export async function declarePublicIncident(app: AppContext, title: string): Promise<string> {
  const { outcome } = await declareIncident(app, { actor: responder }, { title, impact: 'major_outage' });
  return outcome.incidentId;
}

/** Drafts, translates and publishes one public update (as the preview's Publish button does); the outbox rows commit with it. */
export async function publishPublicUpdate(app: AppContext, incidentId: string, text: { en: string; ja: string }): Promise<string> {
  const { outcome } = await draftPublicUpdate(app, { actor: responder }, incidentId, { text: text.en });
  await editTranslation(app, { actor: responder }, outcome.updateId, { lang: 'ja', body: text.ja });
  await publishUpdate(app, { actor: responder, inIncidentChannel: true }, outcome.updateId);
  return outcome.updateId;
}

/** A delivery row as the fault tests check it. */
export interface DeliveryRow {
  id: string;
  idempotency_key: string;
  update_id: string;
  incident_id: string;
  target: string;
  subscriber_id: string | null;
  state: string;
  attempts: number;
  last_error: string | null;
  address: string | null;
}

export async function deliveryRows(db: Db): Promise<DeliveryRow[]> {
  return rowsOf<DeliveryRow>(
    await db.execute(sql`
      select d.id, d.idempotency_key, d.update_id, d.incident_id, d.target, d.subscriber_id, d.state, d.attempts, d.last_error, s.address
      from delivery d left join subscriber s on s.id = d.subscriber_id`),
  ).map((r) => ({ ...r, attempts: Number(r.attempts) }));
}

/** Email and webhook deliveries per state, e.g. `{ delivered: 9990, pending: 10 }`. */
export async function fanOutStates(db: Db): Promise<Record<string, number>> {
  const rows = rowsOf<{ state: string; n: number }>(
    await db.execute(sql`select state, count(*)::int as n from delivery where target in ('email', 'webhook') group by state`),
  );
  return Object.fromEntries(rows.map((r) => [r.state, Number(r.n)]));
}

/** Polls `check` until it returns a value (not undefined) or `timeoutMs` passes; `describe` says what was awaited. */
export async function waitFor<T>(check: () => Promise<T | undefined> | T | undefined, timeoutMs: number, describe: () => string | Promise<string>, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`gave up after ${Math.round(timeoutMs / 1000)} s waiting for ${await describe()}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A small seeded PRNG (mulberry32), so a failing run's random choices can be replayed with its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FAULT_SEED from the environment (to replay a run), else a fresh one. */
export function faultSeed(): number {
  const given = process.env.FAULT_SEED;
  return given && /^\d+$/.test(given) ? Number(given) : Math.floor(Math.random() * 2 ** 31);
}

/** What the workers recorded while a test ran: each distinct error per target (digits as N), and dead deliveries. */
export interface DeliveryErrorWatch {
  errors: Map<string, Set<string>>;
  dead(): { target: string; last_error: string | null }[];
  summary(): Record<string, string[]>;
  stop(): Promise<void>;
}

/** Polls the queue every `everyMs` for recorded errors: a retried delivery's error is cleared once it is delivered. */
export function watchDeliveryErrors(db: Db, everyMs = 500): DeliveryErrorWatch {
  const errors = new Map<string, Set<string>>();
  let dead: { target: string; last_error: string | null }[] = [];
  let watching = true;
  let failure: unknown;
  const loop = (async () => {
    while (watching) {
      try {
        const rows = rowsOf<{ target: string; state: string; last_error: string | null }>(
          await db.execute(sql`select distinct target, state, last_error from delivery where last_error is not null or state = 'dead'`),
        );
        for (const r of rows) if (r.last_error) errors.set(r.target, (errors.get(r.target) ?? new Set()).add(r.last_error.replace(/\d+/g, 'N')));
        dead = rows.filter((r) => r.state === 'dead');
      } catch (e) {
        // Reported by stop(), never as an unhandled rejection of a loop nobody awaits.
        failure = e;
        return;
      }
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    errors,
    dead: () => dead,
    summary: () => Object.fromEntries([...errors].map(([k, v]) => [k, [...v]])),
    stop: async () => {
      watching = false;
      await loop;
      if (failure) throw failure;
    },
  };
}

/** `{ 1: 9000, 2: 1000 }`: how many deliveries took how many claims. */
export function attemptsHistogram(rows: { attempts: number }[]): Record<number, number> {
  const histogram: Record<number, number> = {};
  for (const r of rows) histogram[r.attempts] = (histogram[r.attempts] ?? 0) + 1;
  return histogram;
}
