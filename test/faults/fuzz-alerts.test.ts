import { createHmac } from 'node:crypto';
import { and, eq, isNotNull, or, sql } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { AlertsPart } from '../../src/alerts/part.ts';
import { loadConfig } from '../../src/config.ts';
import { ManualClock } from '../../src/core/clock.ts';
import * as t from '../../src/db/schema.ts';
import type { Server } from '../../src/main.ts';
import { openRuntime } from '../../src/runtime.ts';
import { fixture, pagerDutySignature, postHook, startAlertsServer } from '../alerts/helpers.ts';
import { T0, testI18n } from '../app/helpers.ts';
import { createTestDatabase, describeDb, type TestDatabase } from '../helpers/database.ts';
import { RecordingPlatform } from '../helpers/upstream/recording-platform.ts';
import { anyJson } from './support/fuzz-arbitraries.ts';
import { countAllTables, inconsistencies } from './support/fuzz-invariants.ts';

/**
 * Random and mutated bodies and headers at /hooks/*: every answer is 2xx or 4xx, never 5xx;
 * whatever is refused (4xx) leaves every table as it was; whatever is accepted is processed
 * without a dead or failing stored request, and the database stays consistent. A failure
 * prints fast-check's seed and path; replay it with `{ seed, path }` in the failing `fc.assert`.
 */

const TOKEN = 'fuzz-alerts-token';
const SECRETS = ['fuzz-pd-old', 'fuzz-pd-new'];
const RUNS = { mutated: 120, random: 100, headers: 80, bytes: 40 };

const SOURCES = ['alertmanager', 'grafana', 'pagerduty', 'generic'] as const;
type Source = (typeof SOURCES)[number];

const SEEDS: Record<Source, unknown[]> = {
  alertmanager: ['alertmanager-firing', 'alertmanager-resolved', 'alertmanager-firing-more', 'alertmanager-no-fingerprint'].map((n) => fixture(n)),
  grafana: [fixture('grafana-firing')],
  pagerduty: ['pagerduty-incident-triggered', 'pagerduty-incident-resolved', 'pagerduty-incident-acknowledged', 'pagerduty-incident-priority-updated'].map((n) => fixture(n)),
  generic: [
    { title: 'Checkout latency', severity: 'critical', components: ['api'], key: 'checkout', status: 'firing', summary: 'p99 over 2 s' },
    { title: 'Checkout latency', key: 'checkout', status: 'resolved' },
  ],
};

let database: TestDatabase;
let server: Server;
let alerts: AlertsPart;
let base: string;

beforeAll(async () => {
  database = await createTestDatabase();
  const clock = new ManualClock(T0);
  const config = loadConfig({ ALERTS_TOKEN: TOKEN, PAGERDUTY_WEBHOOK_SECRET: SECRETS.join(','), LOCALES: 'en,ja', TEAM_TIME_ZONE: 'Asia/Tokyo' });
  const runtime = await openRuntime(config, { database, clock, i18n: testI18n() });
  const platform = new RecordingPlatform(testI18n(), clock);
  ({ server, alerts, base } = await startAlertsServer(runtime, platform));
});

afterAll(async () => {
  await server?.stop();
  await database?.drop();
});

/** Text a monitoring system should never send: control characters, lone surrogates, NUL, huge, empty. */
const oddText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('', ' ', '\u0000', '\ud800', '\udfff', '\u202e', '𠮷'.repeat(150), 'x'.repeat(5000), '0001-01-01T00:00:00Z', '+275760-09-13T00:00:00.000Z', 'critical', '1', 'sev9', 'firing', 'resolved'),
);
const oddValue = fc.oneof(anyJson, oddText, fc.constantFrom(-1, 1e308, Number.MAX_SAFE_INTEGER, true, [], {}), fc.array(anyJson, { maxLength: 3 }));

/** Every path to a value inside a JSON value. */
function pathsOf(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [prefix];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...pathsOf(v, [...prefix, i])));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) out.push(...pathsOf(v, [...prefix, k]));
  return out;
}

/** A copy of `value` with the thing at `path` deleted or replaced. */
function mutate(value: unknown, path: (string | number)[], replacement: unknown, remove: boolean): unknown {
  if (path.length === 0) return remove ? undefined : replacement;
  const copy: unknown = structuredClone(value);
  let parent = copy as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  const last = path.at(-1)!;
  if (remove) {
    if (Array.isArray(parent)) parent.splice(Number(last), 1);
    else delete parent[last];
  } else parent[last] = replacement;
  return copy;
}

/** A mutated seed: up to three deletions or replacements anywhere in it. */
const mutatedBody = (source: Source) =>
  fc
    .tuple(
      fc.nat({ max: SEEDS[source].length - 1 }),
      fc.array(fc.tuple(fc.nat(), fc.boolean(), oddValue), { minLength: 1, maxLength: 3 }),
      fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 6 }),
    )
    .map(([seed, changes, tag]) => {
      let body: unknown = structuredClone(SEEDS[source][seed]);
      // A group (or PagerDuty event) of its own most of the time, so bodies reach declaring, not only dedupe.
      if (body && typeof body === 'object' && 'groupKey' in body) (body as { groupKey: string }).groupKey += tag;
      if (body && typeof body === 'object' && 'event' in body) (body as { event: { id: string } }).event.id += tag;
      if (body && typeof body === 'object' && 'key' in body) (body as { key: string }).key += tag;
      for (const [pick, remove, replacement] of changes) {
        const paths = pathsOf(body);
        body = mutate(body, paths[pick % paths.length]!, replacement, remove);
      }
      return body;
    });

/** Headers a hook accepts for a body: the bearer token, or PagerDuty's signature under one of the secrets. */
function authFor(source: Source, text: string, secret = SECRETS[1]!): Record<string, string> {
  return source === 'pagerduty' ? { 'X-PagerDuty-Signature': pagerDutySignature(text, secret) } : { Authorization: `Bearer ${TOKEN}` };
}

/** Stored alert requests the worker could not process: none may exist. */
async function failedRequests(): Promise<number> {
  const rows = await database.db
    .select({ n: sql<number>`count(*)::int` })
    .from(t.inbox)
    .where(and(eq(t.inbox.platform, 'alerts'), or(eq(t.inbox.state, 'dead'), isNotNull(t.inbox.lastError))));
  return Number(rows[0]?.n ?? 0);
}

/** Sends and checks the invariants of one request: no 5xx, nothing recorded when refused, processed cleanly when accepted. */
async function sendAndCheck(source: Source, text: string, headers: Record<string, string>): Promise<number> {
  const before = await countAllTables(database.db);
  const res = await postHook(base, source, text, headers);
  const status = res.status;
  expect(status, `${source} answered ${status}: ${await res.clone().text()}`).toBeLessThan(500);
  if (status >= 400) {
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(await countAllTables(database.db)).toEqual(before);
  } else {
    expect([202, 204]).toContain(status);
    await alerts.worker.drain();
    expect(await failedRequests()).toBe(0);
  }
  return status;
}

describeDb('fuzzing /hooks/*', () => {
  it('mutated real payloads, properly authenticated: 2xx or 4xx, nothing recorded when refused, no failed processing', async () => {
    const statuses = new Set<number>();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...SOURCES).chain((source) => fc.tuple(fc.constant(source), mutatedBody(source))),
        async ([source, body]) => {
          const text = body === undefined ? '' : JSON.stringify(body);
          statuses.add(await sendAndCheck(source, text, authFor(source, text)));
        },
      ),
      { numRuns: RUNS.mutated },
    );
    // The mutations reach both sides: some bodies are still accepted, others refused.
    expect(statuses.has(202)).toBe(true);
    expect(statuses.has(400)).toBe(true);
    expect(await inconsistencies(database.db)).toEqual([]);
  });

  it('random JSON: 4xx (or 2xx for a body that happens to be valid), never 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...SOURCES), fc.oneof(anyJson, oddValue, fc.dictionary(fc.constantFrom('version', 'groupKey', 'status', 'alerts', 'event', 'title', 'key'), oddValue)), async (source, body) => {
        const text = JSON.stringify(body) ?? '';
        await sendAndCheck(source, text, authFor(source, text));
      }),
      { numRuns: RUNS.random },
    );
    expect(await inconsistencies(database.db)).toEqual([]);
  });

  it('valid payloads with random Authorization and X-PagerDuty-Signature headers: 401, nothing recorded', async () => {
    const header = fc.oneof(
      oddText.map((s) => s.replace(/[^\t\x20-\x7e]/g, '')),
      fc.constantFrom(`Bearer ${TOKEN} x`, `bearer  ${TOKEN.toUpperCase()}`, `Basic ${TOKEN}`, `${TOKEN}`, 'Bearer', 'v1=', 'v1=,v1=', `v1=${'0'.repeat(64)}`, `v2=${'a'.repeat(64)}`),
      fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 60, maxLength: 70 }).map((hex) => `v1=${hex}`),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...SOURCES), fc.nat(), header, async (source, seed, value) => {
        const text = JSON.stringify(SEEDS[source][seed % SEEDS[source].length]);
        const name = source === 'pagerduty' ? 'X-PagerDuty-Signature' : 'Authorization';
        const status = await sendAndCheck(source, text, { [name]: value });
        expect(status).toBe(401);
      }),
      { numRuns: RUNS.headers },
    );
  });

  it('raw bytes, broken UTF-8 and oversized bodies: 4xx, nothing recorded', async () => {
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 200 }),
      fc.constantFrom(new Uint8Array([0xff, 0xfe, 0x7b, 0x7d]), new TextEncoder().encode('['.repeat(10_000)), new TextEncoder().encode(`{"a":${'['.repeat(100)}${']'.repeat(100)}}`)),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...SOURCES), bytes, async (source, body) => {
        const before = await countAllTables(database.db);
        const text = Buffer.from(body).toString('latin1');
        const headers: Record<string, string> = source === 'pagerduty' ? { 'X-PagerDuty-Signature': `v1=${createHmac('sha256', SECRETS[0]!).update(body).digest('hex')}` } : { Authorization: `Bearer ${TOKEN}` };
        const res = await fetch(`${base}/hooks/${source}`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body });
        expect(res.status, text.slice(0, 80)).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
        expect(await countAllTables(database.db)).toEqual(before);
      }),
      { numRuns: RUNS.bytes },
    );
    // Valid, with a field nested far deeper than any source nests: refused before it is stored (stored bodies are walked recursively).
    const before = await countAllTables(database.db);
    const deep = `{"title":"Deep","key":"deep","status":"firing","extra":${'['.repeat(20_000)}0${']'.repeat(20_000)}}`;
    const nested = await postHook(base, 'generic', deep, { Authorization: `Bearer ${TOKEN}` });
    expect(nested.status).toBe(400);
    expect(await countAllTables(database.db)).toEqual(before);
    const huge = `{"title":"${'x'.repeat(1024 * 1024)}","key":"k","status":"firing"}`;
    const res = await postHook(base, 'generic', huge, { Authorization: `Bearer ${TOKEN}` });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ status: 413, type: 'about:blank' });
  });
});
