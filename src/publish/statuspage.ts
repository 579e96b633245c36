import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Clock } from '../core/clock.ts';
import type { Database, Db } from '../db/client.ts';
import * as t from '../db/schema.ts';
import { bodyFor, type DeliveryItem, type PublishChannel, type PublishedUpdate, TerminalDeliveryError } from './channel.ts';
import { type HttpAnswer, sendHttp } from './http-target.ts';

export interface StatuspageSettings {
  apiKey: string;
  pageId: string;
  /** STATUSPAGE_API_URL; Atlassian's by default. */
  apiUrl?: string;
  /** Language of the text sent (Statuspage holds one); the source text when untranslated. */
  lang: string;
  /** The line put above the source text sent untranslated (`Original text (Japanese); the translation follows.`). */
  untranslatedNotice?: (sourceLang: string) => string;
  db: Db;
  /**
   * Which database `db` is. On PostgreSQL, shared by several processes, requests are spaced
   * across all of them (an advisory lock); on PGlite, one process by construction, per
   * process. Unset: per process.
   */
  dbKind?: Database['kind'];
  clock: Clock;
  /** Least time between two requests' starts: Statuspage allows 1 per second per key. */
  minIntervalMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * How far Statuspage's clock may be behind ours when a retry looks for the incident an
 * earlier attempt created: candidates created before the update was published, less this,
 * are not ours.
 */
export const CLOCK_SKEW_MS = 5 * 60_000;

// The class half of the advisory lock key (two int4 keys, a key space apart from the
// single-bigint one the migrations lock uses); the other half is derived from the page id.
const STATUSPAGE_LOCK_CLASS = 0x7453_7370;

/** Statuspage's incident status for ours (`closed` is `resolved` there). */
const statusFor = (status: PublishedUpdate['status']) => (status === 'closed' ? 'resolved' : status);

/** The `incident` object of a create or update request; untranslated, the source text goes under `notice`. */
export function statuspageIncident(update: PublishedUpdate, lang: string, create: boolean, notice?: (sourceLang: string) => string) {
  const over = update.status === 'resolved' || update.status === 'closed';
  const mapped = update.components.filter((c) => c.statuspageId);
  const components = Object.fromEntries(mapped.map((c) => [c.statuspageId!, over ? 'operational' : c.impact]));
  const text = bodyFor(update, lang);
  return {
    ...(create ? { name: update.incidentTitle.slice(0, 255) } : {}),
    status: statusFor(update.status),
    body: (text.lang !== lang && notice ? `${notice(text.lang)}\n\n${text.body}` : text.body).slice(0, 25_000),
    ...(mapped.length ? { component_ids: mapped.map((c) => c.statuspageId!), components } : {}),
    deliver_notifications: true,
  };
}

/** Runs one request; resolves with what it resolved with. */
type Spaced = <T>(work: () => Promise<T>) => Promise<T>;

/**
 * Serializes calls with at least `minIntervalMs` between their starts, per process: what
 * the 1 request/s limit needs on PGlite, where only one process runs.
 */
export function createSpacer(minIntervalMs: number, now: () => number, sleep: (ms: number) => Promise<void>): Spaced {
  let chain: Promise<unknown> = Promise.resolve();
  let last = Number.NEGATIVE_INFINITY;
  return <T>(work: () => Promise<T>): Promise<T> => {
    const run = chain.then(async () => {
      // A loop: a timer may fire a millisecond early.
      for (let wait = last + minIntervalMs - now(); wait > 0; wait = last + minIntervalMs - now()) await sleep(wait);
      last = now();
      return work();
    });
    chain = run.catch(() => {});
    return run;
  };
}

/** The advisory lock key of one Statuspage page: the same in every process. */
export function statuspageLockKey(pageId: string): [number, number] {
  return [STATUSPAGE_LOCK_CLASS, createHash('sha256').update(`statuspage:${pageId}`).digest().readInt32BE(0)];
}

/**
 * Serializes calls across every process on one PostgreSQL database, with at least
 * `minIntervalMs` between their starts: a call holds a transaction-scoped advisory lock
 * while it runs and until `minIntervalMs` has passed since it started, so the next holder,
 * in whichever process, starts no sooner. Nothing is stored; a killed holder's lock goes
 * with its connection. Within the process calls queue first, so at most one connection
 * per process waits on the lock.
 */
export function createLockSpacer(db: Db, key: [number, number], minIntervalMs: number, sleep: (ms: number) => Promise<void>): Spaced {
  const local = createSpacer(0, () => performance.now(), sleep);
  return <T>(work: () => Promise<T>): Promise<T> =>
    local(async () => {
      const done: { outcome?: { value: T } | { error: unknown } } = {};
      try {
        await db.transaction(async (tx) => {
          await tx.execute(sql`select pg_advisory_xact_lock(${key[0]}::int, ${key[1]}::int)`);
          const started = performance.now();
          try {
            done.outcome = { value: await work() };
          } catch (error) {
            done.outcome = { error };
          }
          for (let rest = started + minIntervalMs - performance.now(); rest > 0; rest = started + minIntervalMs - performance.now()) await sleep(rest);
        });
      } catch (e) {
        // Before the request (no lock): nothing was sent, so the error is the outcome.
        // After it, a failed commit only means the lock went with the connection: the
        // request's own outcome stands, or a created incident would be created again.
        if (!done.outcome) throw e;
      }
      if ('error' in done.outcome!) throw done.outcome.error;
      return done.outcome!.value;
    });
}

/** What a create request sent that a listed incident must show to be the one it created. */
export interface SentIncident {
  name: string;
  status: string;
  body: string;
}

// Statuspage may trim or re-wrap what it stores; compare text with whitespace collapsed.
const squash = (s: string) => s.replace(/\s+/g, ' ').trim();
const timeOf = (v: unknown) => (typeof v === 'string' ? Date.parse(v) : Number.NaN);

/**
 * Whether an incident from `GET /pages/{page}/incidents` is the one `sent` created: the
 * same name, its oldest incident update has the same status and text, and it was created
 * no earlier than `notBefore`. Nothing customers read carries a marker, so two of our
 * incidents with the same title and first text, published within the clock skew, look
 * alike; the caller also skips incidents another of ours already owns.
 */
export function isIncidentCreatedBy(listed: unknown, sent: SentIncident, notBefore: Date): boolean {
  if (typeof listed !== 'object' || listed === null) return false;
  const incident = listed as { id?: unknown; name?: unknown; created_at?: unknown; incident_updates?: unknown };
  if (typeof incident.id !== 'string' || typeof incident.name !== 'string') return false;
  if (squash(incident.name) !== squash(sent.name)) return false;
  if (!(timeOf(incident.created_at) >= notBefore.getTime())) return false;
  const updates = Array.isArray(incident.incident_updates) ? (incident.incident_updates as { status?: unknown; body?: unknown; created_at?: unknown }[]) : [];
  // Listed newest first; the oldest is the one the create request made.
  const first = [...updates].sort((a, b) => timeOf(a.created_at) - timeOf(b.created_at))[0];
  return first?.status === sent.status && typeof first.body === 'string' && squash(first.body) === squash(sent.body);
}

/** The Statuspage target, which also makes other requests on the page's incidents (scheduled maintenances). */
export interface StatuspageChannel extends PublishChannel {
  /**
   * One manage-API request on `/pages/{page}/incidents` + `suffix` (`''`, `/{id}`, `?q=…`),
   * authorized and spaced like the target's own (1 request/s per key, across processes).
   */
  call(method: 'GET' | 'POST' | 'PATCH', suffix: string, body?: unknown): Promise<HttpAnswer>;
}

/**
 * The Atlassian Statuspage target: the first update of an incident creates it there, later
 * ones update it; components are mapped through `component.statuspage_id`. The outbox
 * keeps one incident's Statuspage deliveries in order, so the create comes first.
 */
export function createStatuspageChannel(settings: StatuspageSettings): StatuspageChannel {
  const base = (settings.apiUrl ?? 'https://api.statuspage.io/v1').replace(/\/+$/, '');
  const minIntervalMs = settings.minIntervalMs ?? 1_000;
  const sleep = settings.sleep ?? ((ms) => new Promise<void>((r) => setTimeout(r, ms)));
  const spaced =
    settings.dbKind === 'postgres'
      ? createLockSpacer(settings.db, statuspageLockKey(settings.pageId), minIntervalMs, sleep)
      : createSpacer(minIntervalMs, () => Date.now(), sleep);
  const authorization = `OAuth ${settings.apiKey}`;
  const headers = { authorization, 'content-type': 'application/json' };
  const now = () => settings.clock.now();
  const pageUrl = `${base}/pages/${encodeURIComponent(settings.pageId)}/incidents`;
  const x = t.externalIncident;

  /** An incident an earlier attempt of this delivery created, that no incident of ours owns yet. */
  const findCreated = async (sent: SentIncident, update: PublishedUpdate): Promise<string | undefined> => {
    const url = `${pageUrl}?${new URLSearchParams({ q: sent.name, limit: '100' })}`;
    const answer = await spaced(() => sendHttp(url, { method: 'GET', headers: { authorization } }, now));
    const listed = await answer.json().catch(() => undefined);
    if (!Array.isArray(listed)) throw new TerminalDeliveryError('Statuspage answered the incident search without a list');
    const notBefore = new Date(update.publishedAt.getTime() - CLOCK_SKEW_MS);
    const matches = (listed as { id: string; created_at: string }[])
      .filter((l) => isIncidentCreatedBy(l, sent, notBefore))
      .sort((a, b) => timeOf(a.created_at) - timeOf(b.created_at))
      .map((l) => l.id);
    if (matches.length === 0) return undefined;
    const owned = await settings.db
      .select({ externalId: x.externalId })
      .from(x)
      .where(and(eq(x.target, 'statuspage'), inArray(x.externalId, matches)));
    return matches.find((id) => !owned.some((o) => o.externalId === id));
  };

  const create = async (incident: ReturnType<typeof statuspageIncident>): Promise<string> => {
    const body = JSON.stringify({ incident });
    const response = await spaced(() => sendHttp(pageUrl, { method: 'POST', headers, body }, now));
    const created = (await response.json().catch(() => ({}))) as { id?: unknown };
    if (typeof created.id !== 'string') throw new TerminalDeliveryError('Statuspage answered without an incident id');
    return created.id;
  };

  return {
    target: 'statuspage',
    call(method, suffix, body) {
      const init = body === undefined ? { method, headers: { authorization } } : { method, headers, body: JSON.stringify(body) };
      return spaced(() => sendHttp(`${pageUrl}${suffix}`, init, now));
    },
    async deliver(item: DeliveryItem) {
      const update = item.update;
      const [known] = await settings.db
        .select({ externalId: x.externalId })
        .from(x)
        .where(and(eq(x.incidentId, update.incidentId), eq(x.target, 'statuspage')));
      if (known) {
        const body = JSON.stringify({ incident: statuspageIncident(update, settings.lang, false, settings.untranslatedNotice) });
        await spaced(() => sendHttp(`${pageUrl}/${encodeURIComponent(known.externalId)}`, { method: 'PATCH', headers, body }, now));
        return;
      }
      const incident = statuspageIncident(update, settings.lang, true, settings.untranslatedNotice);
      // A retry may follow a create that Statuspage carried out but whose answer was lost,
      // or whose id was not saved (the process died in between): adopt that incident
      // rather than create a second one. A first attempt has nothing to find.
      const sent = { name: incident.name!, status: incident.status, body: incident.body };
      const externalId = (item.attempt > 1 ? await findCreated(sent, update) : undefined) ?? (await create(incident));
      await settings.db.insert(x).values({ incidentId: update.incidentId, target: 'statuspage', externalId, createdAt: now() }).onConflictDoNothing();
    },
  };
}
