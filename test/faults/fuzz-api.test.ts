import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { revokeApiToken } from '../../src/api/tokens.ts';
import { createTestDatabase, describeDb, type TestDatabase } from '../helpers/database.ts';
import { type ApiHarness, type ApiResponse, startApi } from '../api/helpers.ts';
import { anyJson, commandText, fieldValue } from './support/fuzz-arbitraries.ts';
import { countAllTables, inconsistencies } from './support/fuzz-invariants.ts';
import { captureLogs } from '../helpers/log-capture.ts';

/**
 * Properties over random input to the REST API: no answer is a 5xx, every refusal is a
 * problem document and records nothing, the server logs no error and stays ready, and the
 * database stays consistent. A failure prints fast-check's seed and path; replay it with
 * `{ seed, path }` in the options of the failing `fc.assert`.
 */

/** Runs per property, chosen so the file stays well under a minute on two cores. */
const RUNS = { commands: 150, declare: 80, headers: 80, raw: 60, paths: 50 };

let database: TestDatabase;
let api: ApiHarness;
let token: string;
let revoked: string;
const numbers: number[] = [];
const { logger, chunks: logLines } = captureLogs('warn');

beforeAll(async () => {
  database = await createTestDatabase();
  api = await startApi(database, { chat: true, logger });
  ({ token } = await api.token('fuzz'));
  const old = await api.token('revoked');
  await revokeApiToken(database.db, old.name, api.clock.now());
  revoked = old.token;
  // Incidents to act on, one of them private; the fuzzer may close or reopen them.
  for (const body of [{ title: 'Fuzz target', components: ['api'] }, { title: 'Private fuzz target', private: true }]) {
    numbers.push((await api.call('POST', '/api/v1/incidents', { token, body })).json.incident.number);
  }
});

afterAll(async () => {
  await api?.close();
  await database?.drop();
});

/** Errors the server logged (pino level ≥ 50) since `from`. */
function errorLogs(from: number): string[] {
  return logLines.slice(from).filter((line) => (JSON.parse(line) as { level: number }).level >= 50);
}

/** Every answer: below 500; a refusal is a complete problem document. */
function expectAnswered(res: ApiResponse): void {
  expect(res.status, res.text).toBeLessThan(500);
  if (res.status >= 400) {
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(res.json).toMatchObject({ type: expect.stringMatching(/^urn:tsuiki:problem:/), title: expect.any(String), status: res.status, detail: expect.any(String), instance: expect.any(String) });
  }
}

/** Sends a request and checks it against the properties; a refusal must leave every table as it was. */
async function probe(send: () => Promise<ApiResponse>): Promise<ApiResponse> {
  const [before, logs] = [await countAllTables(database.db), logLines.length];
  const res = await send();
  expectAnswered(res);
  if (res.status >= 400) expect(await countAllTables(database.db)).toEqual(before);
  expect(errorLogs(logs)).toEqual([]);
  return res;
}

async function expectHealthy(): Promise<void> {
  expect((await fetch(`${api.base}/readyz`)).status).toBe(200);
  expect(await inconsistencies(database.db)).toEqual([]);
}

const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 40 });
const language = fc.constantFrom('en', 'ja', 'ja-JP,en;q=0.1', 'fr', '*', '', 'en;q=0', 'x'.repeat(100));

describeDb('fuzz: REST API', () => {
  it('answers every command text without a 5xx; refusals record nothing', async () => {
    const before = await countAllTables(database.db);
    await fc.assert(
      fc.asyncProperty(commandText, fc.constantFrom(0, 1), language, fc.option(printable, { nil: undefined }), async (text, which, lang, key) => {
        api.clock.advance(1_000);
        await probe(() =>
          api.call('POST', `/api/v1/incidents/${numbers[which]}/commands`, {
            token,
            body: { text },
            headers: { 'Accept-Language': lang, ...(key ? { 'Idempotency-Key': key } : {}) },
          }),
        );
      }),
      { numRuns: RUNS.commands },
    );
    // The grammar reaches the use cases, not only the parser's refusals.
    const after = await countAllTables(database.db);
    expect(after.audit_event! - before.audit_event!).toBeGreaterThanOrEqual(RUNS.commands / 20);
    await expectHealthy();
  });

  it('answers every declare body, valid or mutated, without a 5xx: 201 declares one incident, a refusal none', async () => {
    const valid = fc.record(
      {
        title: fc.oneof(fc.string({ minLength: 1, maxLength: 30 }), fieldValue),
        severity: fc.oneof(fc.integer({ min: -1, max: 6 }), fc.constantFrom('SEV1', 'SEV4', 'sev2', '1'), anyJson),
        components: fc.oneof(fc.array(fc.constantFrom('api', 'db', 'console', 'API', 'a b', '', 'x'.repeat(70)), { maxLength: 4 }), anyJson),
        summary: fc.oneof(fc.string({ maxLength: 30 }), fieldValue),
        private: fc.oneof(fc.boolean(), anyJson),
        started: fc.oneof(
          fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString()),
          fc.constantFrom('22:25', '2026-02-26T14:00:00+09:00', '2026-13-01T00:00:00Z', ''),
          anyJson,
        ),
      },
      { requiredKeys: [] },
    );
    const mutated = fc.tuple(valid, fc.dictionary(fc.string({ maxLength: 8 }), anyJson, { maxKeys: 2 })).map(([body, extra]) => ({ ...body, ...extra }));
    const body = fc.oneof({ weight: 4, arbitrary: valid }, mutated, anyJson);
    await fc.assert(
      fc.asyncProperty(body, language, async (value, lang) => {
        const incidents = (await countAllTables(database.db)).incident!;
        const res = await probe(() => api.call('POST', '/api/v1/incidents', { token, body: value, headers: { 'Accept-Language': lang } }));
        if (res.status === 201) expect((await countAllTables(database.db)).incident).toBe(incidents + 1);
      }),
      { numRuns: RUNS.declare },
    );
    await expectHealthy();
  });

  it('answers any headers without a 5xx: bad tokens 401, other media types refused, nothing recorded by a refusal', async () => {
    const authorization = fc.oneof(
      fc.constant(undefined),
      fc.constantFrom(() => `Bearer ${token}`, () => `bearer  ${token}`, () => `Bearer ${revoked}`, () => 'Bearer', () => 'Bearer tsk_', () => `Basic ${token}`).map((f) => f()),
      printable.map((s) => `Bearer ${s}`),
      printable,
    );
    const contentType = fc.option(fc.oneof(fc.constantFrom('application/json', 'application/json; charset=utf-8', 'application/problem+json', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data', 'application/jsonx', ''), printable), { nil: undefined });
    const accept = fc.option(fc.oneof(fc.constantFrom('text/markdown', 'application/json', 'text/*;q=0.5, */*;q=0', 'image/png', '*/*;q=abc'), printable), { nil: undefined });
    const route = fc.constantFrom('declare', 'command', 'list', 'get', 'postmortem');
    await fc.assert(
      fc.asyncProperty(route, authorization, contentType, accept, language, fc.option(printable, { nil: undefined }), async (where, auth, type, acc, lang, key) => {
        const headers: Record<string, string> = { 'Accept-Language': lang };
        if (auth !== undefined) headers.Authorization = auth;
        if (type !== undefined) headers['Content-Type'] = type;
        if (acc !== undefined) headers.Accept = acc;
        if (key !== undefined) headers['Idempotency-Key'] = key;
        const n = numbers[0]!;
        const request = {
          declare: ['POST', '/api/v1/incidents', JSON.stringify({ title: 'Header fuzz' })],
          command: ['POST', `/api/v1/incidents/${n}/commands`, JSON.stringify({ text: 'note header fuzz' })],
          list: ['GET', '/api/v1/incidents?limit=5', undefined],
          get: ['GET', `/api/v1/incidents/${n}`, undefined],
          postmortem: ['GET', `/api/v1/incidents/${n}/postmortem`, undefined],
        }[where] as [string, string, string | undefined];
        const res = await probe(() => api.call(request[0], request[1], { ...(request[2] ? { raw: request[2] } : {}), headers }));
        const valid = auth === `Bearer ${token}` || auth === `bearer  ${token}`;
        if (!valid) expect(res.status).toBe(401);
      }),
      { numRuns: RUNS.headers },
    );
    await expectHealthy();
  });

  it('answers any raw body without a 5xx and records nothing from one it refuses', async () => {
    const raw = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.json().map((s) => s.slice(0, Math.max(0, s.length - 1))),
      fc.integer({ min: 1, max: 5_000 }).map((depth) => '['.repeat(depth) + ']'.repeat(depth)),
      fc.integer({ min: 1, max: 3 }).map((n) => JSON.stringify({ text: 'x'.repeat(n * 30_000) })),
      fc.constantFrom('', 'null', '[]', '{}', '"text"', '{"text": null}', '{"text": ["note"]}', '{"__proto__": {"text": "note x"}}', '{"text":"note \\ud800"}'),
    );
    await fc.assert(
      fc.asyncProperty(raw, fc.boolean(), async (body, toCommands) => {
        const path = toCommands ? `/api/v1/incidents/${numbers[0]}/commands` : '/api/v1/incidents';
        await probe(() => api.call('POST', path, { token, raw: body }));
      }),
      { numRuns: RUNS.raw },
    );
    await expectHealthy();
  });

  it('answers any path and method under /api/v1 without a 5xx', async () => {
    // Dot segments are left out: the client resolves them, and the request then leaves /api/v1.
    const segment = fc
      .oneof(fc.constantFrom('incidents', 'commands', 'postmortem', 'openapi.json', 'INC-1', '1', '0', '-1', '99999999999', '%00', 'INC-', '1e3', '%2F'), printable.map(encodeURIComponent))
      .filter((s) => !/^(?:\.|%2e){1,2}$/i.test(s));
    await fc.assert(
      fc.asyncProperty(fc.array(segment, { minLength: 0, maxLength: 4 }), fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH'), async (segments, method) => {
        await probe(() => api.call(method, `/api/v1/${segments.join('/')}`, { token, ...(method === 'GET' || method === 'DELETE' ? {} : { body: { text: 'note path fuzz', title: 'Path fuzz' } }) }));
      }),
      { numRuns: RUNS.paths },
    );
    await expectHealthy();
  });
});
