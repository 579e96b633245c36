import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { IN_PROGRESS_MS, requestHash } from '../../src/api/idempotency.ts';
import * as t from '../../src/db/schema.ts';
import { createTestDatabase, describeDb, type TestDatabase } from '../helpers/database.ts';
import { type ApiHarness, startApi } from './helpers.ts';

let database: TestDatabase;
let api: ApiHarness;
let caller: { token: string; id: string; name: string };

beforeAll(async () => {
  database = await createTestDatabase();
  api = await startApi(database);
  caller = await api.token();
});

afterAll(async () => {
  await api?.close();
  await database?.drop();
});

const incidents = async () => (await database.db.select().from(t.incident)).length;
const declare = (key: string, body: unknown, token = caller.token) => api.call('POST', '/api/v1/incidents', { token, body, headers: { 'Idempotency-Key': key } });
const stored = (key: string) => database.db.select().from(t.apiIdempotency).where(and(eq(t.apiIdempotency.tokenId, caller.id), eq(t.apiIdempotency.key, key)));

describeDb('Idempotency-Key', () => {
  it('answers a retry with the first answer, marked as a replay, and records once', async () => {
    const before = await incidents();
    const first = await declare('declare-1', { title: 'Retried declare' });
    expect(first.status).toBe(201);
    expect(first.headers.get('idempotency-replayed')).toBeNull();
    const again = await declare('declare-1', { title: 'Retried declare' });
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotency-replayed')).toBe('true');
    expect(again.headers.get('location')).toBe(first.headers.get('location'));
    expect(again.text).toBe(first.text);
    expect(await incidents()).toBe(before + 1);
  });

  it('refuses the same key with another body with a 422 problem', async () => {
    await declare('declare-2', { title: 'First body' });
    const before = await incidents();
    const res = await declare('declare-2', { title: 'Second body' }, caller.token);
    expect(res.status).toBe(422);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(res.json).toMatchObject({ code: 'idempotency_mismatch', status: 422, title: 'Unprocessable content' });
    expect(res.json.detail).toContain('declare-2');
    expect(await incidents()).toBe(before);
  });

  it('answers 409 with Retry-After while the first request with the key is still running', async () => {
    const body = { title: 'While running' };
    // The first request claimed the key a moment ago and has not answered yet.
    const hash = requestHash('POST', '/api/v1/incidents', JSON.stringify(body));
    await database.db.insert(t.apiIdempotency).values({ tokenId: caller.id, key: 'running-1', requestHash: hash, createdAt: api.clock.now() });
    const before = await incidents();
    const res = await declare('running-1', body);
    expect(res.status).toBe(409);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(res.json.code).toBe('idempotency_in_progress');
    expect(await incidents()).toBe(before);
  });

  it('lets exactly one of two concurrent duplicates declare', async () => {
    const before = await incidents();
    const answers = await Promise.all([declare('race-1', { title: 'Raced' }), declare('race-1', { title: 'Raced' })]);
    expect(answers.map((a) => a.status).sort()).toEqual(expect.arrayContaining([201]));
    for (const answer of answers) expect([201, 409]).toContain(answer.status);
    expect(await incidents()).toBe(before + 1);
  });

  it('runs a retry after the first request died past its answer, without recording twice (the command’s receipt)', async () => {
    const first = await declare('crash-1', { title: 'Crashed after commit' });
    expect(first.status).toBe(201);
    const before = await incidents();
    // As if the process died after the command committed but before the answer was stored.
    await database.db
      .update(t.apiIdempotency)
      .set({ status: null, headers: null, body: null, createdAt: new Date(api.clock.now().getTime() - IN_PROGRESS_MS - 1000) })
      .where(eq(t.apiIdempotency.key, 'crash-1'));
    const retry = await declare('crash-1', { title: 'Crashed after commit' });
    expect(retry.status).toBe(201);
    expect(retry.json.replayed).toBe(true);
    expect(retry.json.incident.number).toBe(first.json.incident.number);
    expect(await incidents()).toBe(before);
    expect((await stored('crash-1'))[0]?.status).toBe(201);
  });

  it('runs a retry after the first request died before its command committed, recording it once', async () => {
    const body = { title: 'Died before commit' };
    const hash = requestHash('POST', '/api/v1/incidents', JSON.stringify(body));
    await database.db.insert(t.apiIdempotency).values({ tokenId: caller.id, key: 'died-1', requestHash: hash, createdAt: new Date(api.clock.now().getTime() - IN_PROGRESS_MS - 1000) });
    const before = await incidents();
    const retry = await declare('died-1', body);
    expect(retry.status).toBe(201);
    expect(retry.json.replayed).toBe(false);
    expect(await incidents()).toBe(before + 1);
    expect((await declare('died-1', body)).headers.get('idempotency-replayed')).toBe('true');
    expect(await incidents()).toBe(before + 1);
  });

  it('keeps nothing for a refused request, so the key may be sent again', async () => {
    const { number } = (await declare('cmd-setup', { title: 'Commands with keys' })).json.incident;
    const path = `/api/v1/incidents/${number}/commands`;
    const refused = await api.call('POST', path, { token: caller.token, body: { text: 'severity 9' }, headers: { 'Idempotency-Key': 'cmd-1' } });
    expect(refused.status).toBe(400);
    expect(await stored('cmd-1')).toEqual([]);
    const invalid = await api.call('POST', path, { token: caller.token, body: { txt: 'severity 2' }, headers: { 'Idempotency-Key': 'cmd-1' } });
    expect(invalid.status).toBe(400);
    expect(await stored('cmd-1')).toEqual([]);
    const note = () => api.call('POST', path, { token: caller.token, body: { text: 'note once' }, headers: { 'Idempotency-Key': 'cmd-2' } });
    const done = await note();
    expect(done.status).toBe(200);
    const replay = await note();
    expect(replay.headers.get('idempotency-replayed')).toBe('true');
    const notes = done.json.incident.timeline.filter((e: { kind: string }) => e.kind === 'note');
    expect(notes).toHaveLength(1);
    const now = await api.call('GET', `/api/v1/incidents/${number}`, { token: caller.token });
    expect(now.json.timeline.filter((e: { kind: string }) => e.kind === 'note')).toHaveLength(1);
  });

  it('keeps keys per token', async () => {
    const other = await api.token('other');
    const mine = await declare('shared-key', { title: 'Mine' });
    const theirs = await declare('shared-key', { title: 'Theirs' }, other.token);
    expect(mine.status).toBe(201);
    expect(theirs.status).toBe(201);
    expect(theirs.json.incident.number).not.toBe(mine.json.incident.number);
  });

  it('refuses a malformed key as a header field', async () => {
    const res = await declare('x'.repeat(300), { title: 'Long key' });
    expect(res.status).toBe(400);
    expect(res.json.errors).toEqual([expect.objectContaining({ field: 'idempotency-key', in: 'header' })]);
  });
});
