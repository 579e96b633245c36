import { Hono } from 'hono';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { changeStatus } from '../../src/app/change-status.ts';
import { closeIncident } from '../../src/app/close-incident.ts';
import { draftPublicUpdate } from '../../src/app/draft-public-update.ts';
import { publishUpdate } from '../../src/app/review-public-update.ts';
import { setKeyMoment } from '../../src/app/set-key-moment.ts';
import type { App, AppEnv } from '../../src/http.ts';
import { registerPostmortemRoute } from '../../src/manager/postmortem-route.ts';
import { declare, makeContext, metaOf, person, testI18n } from '../app/helpers.ts';
import { createTestDatabase, describeDb, type TestDatabase } from '../helpers/database.ts';

let database: TestDatabase;
let http: App;
const ADMIN_TOKEN = 'admin-secret-token';
beforeAll(async () => {
  database = await createTestDatabase();
  http = new Hono<AppEnv>();
  registerPostmortemRoute(http, { db: database.db, i18n: testI18n(), languages: ['en', 'ja'], adminToken: ADMIN_TOKEN });
});
afterAll(async () => {
  await database.drop();
});

/** A time on the night of the story, in Japan: `jst('22:25')`, `jst('00:15', 1)` (next day). */
const jst = (hhmm: string, dayAfter = 0) => new Date(`2021-02-${26 + dayAfter}T${hhmm}:00+09:00`);

/**
 * The real outage, through the use cases: impact began 22:25 JST, detected 22:26, declared
 * 22:45, first public notice 22:50, updates at 0:20, 1:00 and 2:00, partial recovery 0:15,
 * resolved 0:30, closed 2:10.
 */
async function replayStory(options: { visibility?: 'public' | 'private' } = {}) {
  const { ctx, clock } = makeContext(database.db, {}, jst('22:45'));
  const aiko = person('Aiko');
  const meta = metaOf(aiko, { inIncidentChannel: true });
  const { incidentId, number } = await declare(ctx, aiko, { title: 'Widespread outage of the API and Console', severity: 'SEV1', started: jst('22:25'), visibility: options.visibility ?? 'public' });
  await setKeyMoment(ctx, meta, incidentId, { moment: 'detected', at: jst('22:26') });
  const publish = async (at: Date, text: string) => {
    clock.set(at);
    const { outcome } = await draftPublicUpdate(ctx, meta, incidentId, { text });
    await publishUpdate(ctx, meta, outcome.updateId);
  };
  if (options.visibility !== 'private') await publish(jst('22:50'), 'We are investigating errors on the API and Console.');
  clock.set(jst('00:15', 1));
  await setKeyMoment(ctx, meta, incidentId, { moment: 'mitigated', at: jst('00:15', 1) });
  if (options.visibility !== 'private') await publish(jst('00:20', 1), 'Partial recovery: the API answers again.');
  clock.set(jst('00:30', 1));
  await changeStatus(ctx, meta, incidentId, { status: 'resolved' });
  if (options.visibility !== 'private') {
    await publish(jst('01:00', 1), 'Resolved. We keep monitoring.');
    await publish(jst('02:00', 1), 'Root cause: a failed failover.');
  }
  clock.set(jst('02:10', 1));
  await closeIncident(ctx, meta, incidentId, {});
  return { number };
}

function intervalRows(markdown: string, heading: string): string[][] {
  const lines = markdown.split('\n');
  const start = lines.indexOf(`## ${heading}`);
  const end = lines.findIndex((l, i) => i > start && l.startsWith('## '));
  return lines
    .slice(start + 1, end)
    .filter((l) => l.startsWith('|'))
    .slice(2)
    .map((r) => r.split('|').slice(1, -1).map((c) => c.trim()));
}

describeDb('the postmortem draft of the story outage, end to end', () => {
  let number: number;
  beforeAll(async () => {
    ({ number } = await replayStory());
  });

  it('serves the stored English draft as Markdown with the story intervals', async () => {
    const res = await http.request(`/incidents/${number}/postmortem.md?lang=en`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/markdown; charset=utf-8');
    const markdown = await res.text();
    expect(markdown.split('\n')[0]).toBe(`# INC-${number} Postmortem: Widespread outage of the API and Console`);
    expect(intervalRows(markdown, 'Intervals')).toEqual([
      ['Time to detect', '1 min'],
      ['Time to declare', '20 min'],
      ['Time to first public update', '25 min'],
      ['Time to mitigate', '1 h 50 min'],
      ['Time to resolve', '2 h 5 min'],
    ]);
  });

  it('serves the Japanese draft with durations and times as Japanese writes them', async () => {
    const markdown = await (await http.request(`/incidents/${number}/postmortem.md?lang=ja`)).text();
    expect(intervalRows(markdown, '経過時間').map((r) => r[1])).toEqual(['1分', '20分', '25分', '1時間50分', '2時間5分']);
    expect(markdown).toContain('| 影響開始 | 2/26 22:25 (JST) |');
    expect(markdown).toContain('| 解決 | 2/27 0:30 (JST) |');
  });

  it('lists every public update of the night in the timeline, in the zone of the language', async () => {
    const markdown = await (await http.request(`/incidents/${number}/postmortem.md?lang=ja`)).text();
    for (const time of ['2/26 22:50', '2/27 0:20', '2/27 1:00', '2/27 2:00']) expect(markdown).toContain(time);
  });

  it('falls back to the first language for an unknown lang', async () => {
    const markdown = await (await http.request(`/incidents/${number}/postmortem.md?lang=xx`)).text();
    expect(markdown).toContain('## Intervals');
  });

  it('answers 404 for an incident without a draft or that does not exist', async () => {
    const { ctx } = makeContext(database.db);
    const { number: open } = await declare(ctx, person('Ken'));
    expect((await http.request(`/incidents/${open}/postmortem.md`)).status).toBe(404);
    expect((await http.request('/incidents/99999/postmortem.md')).status).toBe(404);
    expect((await http.request('/incidents/abc/postmortem.md')).status).toBe(404);
  });
});

describeDb('the postmortem URL of a private incident', () => {
  let number: number;
  beforeAll(async () => {
    ({ number } = await replayStory({ visibility: 'private' }));
  });

  it('needs the admin token', async () => {
    const res = await http.request(`/incidents/${number}/postmortem.md`);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('Bearer');
  });

  it('refuses a wrong token', async () => {
    expect((await http.request(`/incidents/${number}/postmortem.md`, { headers: { authorization: 'Bearer nope' } })).status).toBe(401);
  });

  it('serves the draft to the admin token', async () => {
    const res = await http.request(`/incidents/${number}/postmortem.md`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toContain('no-store');
    expect(await res.text()).toContain('Time to first public update');
  });
});
