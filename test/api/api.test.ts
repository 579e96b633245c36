import { eq } from 'drizzle-orm';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, expect, it } from 'vitest';
import * as t from '../../src/db/schema.ts';
import { MINUTE } from '../app/helpers.ts';
import { createTestDatabase, describeDb, type TestDatabase } from '../helpers/database.ts';
import { type ApiHarness, type ApiResponse, startApi } from './helpers.ts';

let database: TestDatabase;
let api: ApiHarness;
let token: string;

beforeAll(async () => {
  database = await createTestDatabase();
  api = await startApi(database, { chat: true });
  ({ token } = await api.token());
});

afterAll(async () => {
  await api?.close();
  await database?.drop();
});

const declare = (body: Record<string, unknown>, headers: Record<string, string> = {}) => api.call('POST', '/api/v1/incidents', { token, body, headers });
const command = (number: number, text: string, headers: Record<string, string> = {}) => api.call('POST', `/api/v1/incidents/${number}/commands`, { token, body: { text }, headers });

describeDb('API authentication', () => {
  it.each([
    ['no Authorization', {}],
    ['an unknown token', { Authorization: 'Bearer tsk_not-a-token-we-issued' }],
    ['another scheme', { Authorization: `Basic ${Buffer.from('a:b').toString('base64')}` }],
  ])('answers %s with a 401 problem and records nothing', async (_, headers) => {
    const before = await database.db.select().from(t.incident);
    const res = await api.call('POST', '/api/v1/incidents', { body: { title: 'Should not exist' }, headers });
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="tsuiki"/);
    expect(res.json).toMatchObject({ type: 'urn:tsuiki:problem:unauthorized', title: 'Unauthorized', status: 401, instance: '/api/v1/incidents', code: 'unauthorized' });
    expect(res.json.detail).toContain('tsuiki tokens create');
    expect(await database.db.select().from(t.incident)).toHaveLength(before.length);
  });

  it('answers in Japanese with Accept-Language: ja', async () => {
    const res = await api.call('GET', '/api/v1/incidents', { headers: { 'Accept-Language': 'ja,en;q=0.5' } });
    expect(res.status).toBe(401);
    expect(res.headers.get('content-language')).toBe('ja');
    expect(res.json.title).toBe('認証が必要です');
  });

  it('refuses a revoked token at once', async () => {
    const revoked = await api.token('revoked');
    expect((await api.call('GET', '/api/v1/incidents', { token: revoked.token })).status).toBe(200);
    await database.db.update(t.apiToken).set({ revokedAt: api.clock.now() }).where(eq(t.apiToken.id, revoked.id));
    const res = await api.call('GET', '/api/v1/incidents', { token: revoked.token });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it('keeps the last use, written at most once a minute', async () => {
    const used = await api.token('used');
    const lastUsed = async () => (await database.db.select().from(t.apiToken).where(eq(t.apiToken.id, used.id)))[0]!.lastUsedAt;
    expect(await lastUsed()).toBeNull();
    await api.call('GET', '/api/v1/incidents', { token: used.token });
    const first = await lastUsed();
    expect(first).toEqual(api.clock.now());
    api.clock.advance(30_000);
    await api.call('GET', '/api/v1/incidents', { token: used.token });
    expect(await lastUsed()).toEqual(first);
    api.clock.advance(31_000);
    await api.call('GET', '/api/v1/incidents', { token: used.token });
    expect(await lastUsed()).toEqual(api.clock.now());
  });

  it('answers an unknown path under /api/v1 with a 404 problem', async () => {
    for (const path of ['/api/v1/nothing-here', '/api/v1', '/api/v1/incidents/1/nothing']) {
      const res = await api.call('GET', path, { token });
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      expect(res.json).toMatchObject({ code: 'not_found', status: 404, instance: path });
    }
  });
});

describeDb('POST /api/v1/incidents', () => {
  it('declares with every field, answers 201 with Location, and opens its channel in chat', async () => {
    api.chat();
    const started = new Date(api.clock.now().getTime() - 10 * MINUTE).toISOString();
    const res = await declare({ title: 'Checkout errors', severity: 2, components: ['api', 'checkout'], summary: 'Payments fail', started });
    expect(res.status).toBe(201);
    const { incident } = res.json;
    expect(res.headers.get('location')).toBe(`/api/v1/incidents/${incident.number}`);
    expect(res.json.verb).toBe('declare');
    expect(res.json.replayed).toBe(false);
    expect(res.json.message.text).toBe(`INC-${incident.number} declared: Checkout errors`);
    expect(incident).toMatchObject({ title: 'Checkout errors', severity: 'SEV2', status: 'investigating', visibility: 'public', summary: 'Payments fail' });
    expect(incident.components.map((c: { id: string }) => c.id).sort()).toEqual(['api', 'checkout']);
    expect(incident.moments.started).toBe(started);
    expect(incident.roles).toEqual([expect.objectContaining({ role: 'commander', userId: expect.stringMatching(/^api:ci-/) })]);
    // The channel opens on the chat platform, with its header.
    expect(api.chat()).toContain(`inc-${incident.number}-checkout-errors`);
  });

  it('declares a private incident from SEV names', async () => {
    const res = await declare({ title: 'Credential leak', severity: 'SEV1', private: true });
    expect(res.status).toBe(201);
    expect(res.json.incident).toMatchObject({ severity: 'SEV1', visibility: 'private' });
  });

  it('lists every bad field of a body, in the caller’s language, and records nothing', async () => {
    const before = (await database.db.select().from(t.incident)).length;
    const res = await api.call('POST', '/api/v1/incidents', { token, body: { title: '', severity: 7, components: ['API!'], private: 'yes', colour: 'red' }, headers: { 'Accept-Language': 'ja' } });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(res.json).toMatchObject({ code: 'validation', status: 400, title: 'リクエストが不正です' });
    const fields = Object.fromEntries(res.json.errors.map((e: { field: string; detail: string }) => [e.field, e.detail]));
    expect(Object.keys(fields).sort()).toEqual(['colour', 'components.0', 'private', 'severity', 'title']);
    expect(fields.colour).toBe('は不明な項目です');
    expect(fields.title).toBe('は 1 文字以上にしてください');
    expect(res.json.errors.every((e: { in: string }) => e.in === 'body')).toBe(true);
    expect((await database.db.select().from(t.incident)).length).toBe(before);
  });

  it('names a missing title as required', async () => {
    const res = await declare({ severity: 2 });
    expect(res.status).toBe(400);
    expect(res.json.errors).toEqual([{ field: 'title', in: 'body', detail: 'is required' }]);
  });

  it('refuses a start in the future as chat does', async () => {
    const res = await declare({ title: 'Later', started: new Date(api.clock.now().getTime() + 60 * MINUTE).toISOString() });
    expect(res.status).toBe(400);
    expect(res.json.code).toBe('future_time');
  });

  it.each([
    ['not JSON', '{"title":', 'application/json', 400, 'bad_json'],
    ['form data', 'title=x', 'application/x-www-form-urlencoded', 415, 'unsupported_media_type'],
    ['too large', JSON.stringify({ title: 'x'.repeat(70_000) }), 'application/json', 413, 'body_too_large'],
  ])('refuses a body that is %s', async (_, raw, type, status, code) => {
    const res = await api.call('POST', '/api/v1/incidents', { token, raw, headers: { 'Content-Type': type } });
    expect(res.status).toBe(status);
    expect(res.json.code).toBe(code);
  });
});

describeDb('GET /api/v1/incidents', () => {
  it('lists newest first with private ones, filters by status and openness, and pages with next', async () => {
    const numbers: number[] = [];
    for (const title of ['List one', 'List two', 'List three']) numbers.push((await declare({ title })).json.incident.number);
    await command(numbers[0]!, 'status resolved');
    const all = await api.call('GET', '/api/v1/incidents?limit=100', { token });
    expect(all.status).toBe(200);
    const listed: number[] = all.json.incidents.map((i: { number: number }) => i.number);
    expect(listed).toEqual([...listed].sort((a, b) => b - a));
    expect(all.json.incidents.some((i: { visibility: string }) => i.visibility === 'private')).toBe(true);
    expect(all.json.next).toBeNull();

    const resolved = await api.call('GET', '/api/v1/incidents?status=resolved', { token });
    expect(resolved.json.incidents.map((i: { number: number }) => i.number)).toEqual([numbers[0]]);
    const open = await api.call('GET', '/api/v1/incidents?open=true&limit=100', { token });
    expect(open.json.incidents.every((i: { status: string }) => !['resolved', 'closed'].includes(i.status))).toBe(true);
    expect(open.json.incidents.map((i: { number: number }) => i.number)).not.toContain(numbers[0]);
    const closedOrResolved = await api.call('GET', '/api/v1/incidents?open=false', { token });
    expect(closedOrResolved.json.incidents.map((i: { number: number }) => i.number)).toContain(numbers[0]);

    const page1 = await api.call('GET', '/api/v1/incidents?limit=2', { token });
    expect(page1.json.incidents).toHaveLength(2);
    expect(page1.json.next).toBe(`/api/v1/incidents?limit=2&before=${page1.json.incidents[1].number}`);
    const page2 = await api.call('GET', page1.json.next, { token });
    expect(page2.json.incidents[0].number).toBe(page1.json.incidents[1].number - 1);
  });

  it('refuses unknown filters and bad values, field by field', async () => {
    const res = await api.call('GET', '/api/v1/incidents?status=open&limit=0&colour=red', { token });
    expect(res.status).toBe(400);
    expect(res.json.errors.map((e: { field: string }) => e.field).sort()).toEqual(['colour', 'limit', 'status']);
    expect(res.json.errors.every((e: { in: string }) => e.in === 'query')).toBe(true);
  });
});

describeDb('GET /api/v1/incidents/{number}', () => {
  it('shows the incident with its timeline, as number or INC-n', async () => {
    const { number } = (await declare({ title: 'Get me', components: ['db'] })).json.incident;
    await command(number, 'note Replica lag 40 s');
    for (const ref of [String(number), `INC-${number}`]) {
      const res = await api.call('GET', `/api/v1/incidents/${ref}`, { token });
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({ number, ref: `INC-${number}`, title: 'Get me', url: `/api/v1/incidents/${number}` });
      expect(res.json.timeline.map((e: { kind: string }) => e.kind)).toEqual(['declared', 'note']);
      expect(res.json.timeline[1].text).toBe('Replica lag 40 s');
    }
  });

  it('answers 404 for a number nobody declared, and 400 for one that is no number', async () => {
    expect((await api.call('GET', '/api/v1/incidents/999999', { token })).json).toMatchObject({ status: 404, code: 'not_found' });
    const bad = await api.call('GET', '/api/v1/incidents/abc', { token });
    expect(bad.status).toBe(400);
    expect(bad.json.errors).toEqual([expect.objectContaining({ field: 'number', in: 'path' })]);
  });
});

describeDb('POST /api/v1/incidents/{number}/commands', () => {
  it('changes status with a public text: the draft waits for Publish (PUBLISH_APPROVAL=preview) and the preview shows in chat', async () => {
    const { number } = (await declare({ title: 'Status via API' })).json.incident;
    api.chat();
    const res = await command(number, 'status identified DB failover in progress');
    expect(res.status).toBe(200);
    expect(res.json.verb).toBe('status');
    expect(res.json.message.text).toMatch(new RegExp(`^INC-${number} status: Investigating → Identified`));
    expect(res.json.incident.status).toBe('identified');
    expect(res.json.publicUpdate).toMatchObject({ state: 'draft', status: 'identified', body: 'DB failover in progress' });
    const chat = api.chat();
    expect(chat).toContain('Investigating → Identified');
    expect(chat).toContain('DB failover in progress');
    expect(chat).toMatch(/\[!\d+ Publish\]/);
  });

  it('runs Japanese verbs and every incident verb through the chat use cases', async () => {
    const { number } = (await declare({ title: 'Many verbs' })).json.incident;
    const steps: [string, (r: ApiResponse) => void][] = [
      ['重大度 1', (r) => expect(r.json.incident.severity).toBe('SEV1')],
      ['components api major_outage', (r) => expect(r.json.incident.components).toEqual([expect.objectContaining({ id: 'api', impact: 'major_outage' })])],
      ['assign comms @hanako', (r) => expect(r.json.incident.roles).toContainEqual(expect.objectContaining({ role: 'comms', userName: 'hanako' }))],
      ['cause Expired certificate', (r) => expect(r.json.incident.timeline.some((e: { kind: string }) => e.kind === 'cause')).toBe(true)],
      ['action Renew certificates automatically', (r) => expect(r.json.incident.actions).toEqual([expect.objectContaining({ text: 'Renew certificates automatically' })])],
      ['状態 復旧', (r) => expect(r.json.incident.status).toBe('resolved')],
      ['close All good now', (r) => expect(r.json.incident.status).toBe('closed')],
      ['reopen It came back', (r) => expect(r.json.incident.status).toBe('investigating')],
    ];
    for (const [text, check] of steps) {
      api.clock.advance(MINUTE);
      const res = await command(number, text);
      expect({ text, status: res.status, problem: res.status === 200 ? undefined : res.json }).toEqual({ text, status: 200, problem: undefined });
      check(res);
    }
  });

  it('refuses an unknown verb with a localized 400 problem and the list of commands', async () => {
    const { number } = (await declare({ title: 'Bad verb' })).json.incident;
    const before = await database.db.select().from(t.timelineEntry);
    const res = await command(number, 'frobnicate now', { 'Accept-Language': 'ja' });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(res.json).toMatchObject({ type: 'urn:tsuiki:problem:unknown_verb', title: 'リクエストが不正です', status: 400, code: 'unknown_verb', instance: `/api/v1/incidents/${number}/commands` });
    expect(res.json.detail).toContain('frobnicate');
    expect(res.json.usage).toBeTruthy();
    expect(await database.db.select().from(t.timelineEntry)).toHaveLength(before.length);
  });

  it('refuses bad arguments with the verb’s usage, and state conflicts with 409', async () => {
    const { number } = (await declare({ title: 'Bad args' })).json.incident;
    const sev = await command(number, 'severity 9');
    expect(sev.status).toBe(400);
    expect(sev.json.code).toBe('bad_severity');
    expect(sev.json.usage).toMatch(/severity/);
    const same = await command(number, 'status investigating');
    expect(same.status).toBe(409);
    expect(same.json.code).toBe('same_status');
  });

  it('refuses verbs that are not about one incident, and a text naming another incident', async () => {
    const { number } = (await declare({ title: 'Scope' })).json.incident;
    const list = await command(number, 'list');
    expect(list.status).toBe(400);
    expect(list.json.code).toBe('verb_not_for_incident');
    const other = await command(number, `INC-${number + 1000} note hello`);
    expect(other.status).toBe(400);
    expect(other.json.code).toBe('incident_mismatch');
    const same = await command(number, `INC-${number} note hello`);
    expect(same.status).toBe(200);
  });

  it('acts on a private incident it never touched, with a responder’s rights', async () => {
    const other = await api.token('other');
    const { number } = (await declare({ title: 'Private one', private: true })).json.incident;
    const res = await api.call('POST', `/api/v1/incidents/${number}/commands`, { token: other.token, body: { text: 'note Looking into it' } });
    expect(res.status).toBe(200);
    expect(res.json.incident.timeline.at(-1)).toMatchObject({ kind: 'note', authorName: other.name });
    // A private incident is never published: refused as in chat.
    const publish = await api.call('POST', `/api/v1/incidents/${number}/commands`, { token: other.token, body: { text: 'publish Hello world' } });
    expect(publish.status).toBe(409);
    expect(publish.json.code).toBe('private_incident');
  });

  it('reads a bare HH:MM in the given time zone', async () => {
    const { number } = (await declare({ title: 'Zones' })).json.incident;
    api.clock.advance(2 * 60 * MINUTE);
    // Half an hour ago as a New York clock reads it: 14 hours off the team's zone (Tokyo) if the zone were ignored.
    const meant = new Date(Math.floor((api.clock.now().getTime() - 30 * MINUTE) / MINUTE) * MINUTE);
    const clock = DateTime.fromJSDate(meant, { zone: 'America/New_York' }).toFormat('H:mm');
    const res = await api.call('POST', `/api/v1/incidents/${number}/commands`, { token, body: { text: `note at ${clock} Found it`, timeZone: 'America/New_York' } });
    expect(res.status).toBe(200);
    expect(res.json.incident.timeline.at(-1).occurredAt).toBe(meant.toISOString());
    const bad = await api.call('POST', `/api/v1/incidents/${number}/commands`, { token, body: { text: 'note x', timeZone: 'Mars/Olympus' } });
    expect(bad.json.errors).toEqual([{ field: 'timeZone', in: 'body', detail: 'is not an IANA time zone (e.g. Asia/Tokyo)' }]);
  });

  it('publishes at once with PUBLISH_APPROVAL=off', async () => {
    const off = await startApi(database, { env: { PUBLISH_APPROVAL: 'off' } });
    try {
      const own = await off.token('off');
      const declared = await off.call('POST', '/api/v1/incidents', { token: own.token, body: { title: 'No approval' } });
      const res = await off.call('POST', `/api/v1/incidents/${declared.json.incident.number}/commands`, { token: own.token, body: { text: 'publish We are investigating.' } });
      expect(res.status).toBe(200);
      expect(res.json.publicUpdate).toMatchObject({ state: 'published', body: 'We are investigating.' });
    } finally {
      await off.close();
    }
  });
});

describeDb('API metrics', () => {
  it('counts API commands in commands_total as chat’s are, refused ones as errors', async () => {
    const { number } = (await declare({ title: 'Counted' })).json.incident;
    await command(number, 'note counted');
    await command(number, 'frobnicate');
    const metrics = await (await fetch(`${api.base}/metrics`)).text();
    expect(metrics).toMatch(/^commands_total\{verb="update",platform="api",outcome="ok"\} [1-9]/m);
    expect(metrics).toMatch(/^commands_total\{verb="declare",platform="api",outcome="ok"\} [1-9]/m);
    expect(metrics).toMatch(/^commands_total\{verb="unknown",platform="api",outcome="error"\} [1-9]/m);
  });
});

describeDb('GET /api/v1/incidents/{number}/postmortem', () => {
  it('answers 404 before a draft exists, then JSON per language or Markdown by Accept', async () => {
    const { number } = (await declare({ title: 'Postmortem via API' })).json.incident;
    const none = await api.call('GET', `/api/v1/incidents/${number}/postmortem`, { token });
    expect(none.status).toBe(404);
    expect(none.json.code).toBe('no_postmortem');
    api.clock.advance(MINUTE);
    expect((await command(number, 'status resolved')).status).toBe(200);
    expect((await command(number, 'close')).status).toBe(200);

    const json = await api.call('GET', `/api/v1/incidents/${number}/postmortem`, { token, headers: { 'Accept-Language': 'ja' } });
    expect(json.status).toBe(200);
    expect(json.json.lang).toBe('ja');
    expect(json.json.languages.map((l: { lang: string }) => l.lang)).toEqual(['en', 'ja']);
    expect(json.json.markdown).toBe(json.json.languages[1].markdown);
    expect(json.json.markdown).toContain('Postmortem via API');

    const md = await api.call('GET', `/api/v1/incidents/${number}/postmortem?lang=en`, { token, headers: { Accept: 'text/markdown' } });
    expect(md.status).toBe(200);
    expect(md.headers.get('content-type')).toBe('text/markdown; charset=utf-8');
    expect(md.headers.get('content-language')).toBe('en');
    expect(md.text).toBe(json.json.languages[0].markdown);

    const neither = await api.call('GET', `/api/v1/incidents/${number}/postmortem`, { token, headers: { Accept: 'image/png' } });
    expect(neither.status).toBe(406);
  });
});
