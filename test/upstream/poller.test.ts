import { Writable } from 'node:stream';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import type { AppContext, AppSettings } from '../../src/app/context.ts';
import { armMissingUpstreamPolls, followUpstream, UPSTREAM_POLL_JOB, upstreamPollKey } from '../../src/app/follow-upstream.ts';
import { ConsolePlatform } from '../../src/chat/console/console-platform.ts';
import type { ManualClock } from '../../src/core/clock.ts';
import { createLogger } from '../../src/logger.ts';
import * as t from '../../src/db/schema.ts';
import { createUpstreamPoller, type PollReport, type UpstreamPoller } from '../../src/upstream/poller.ts';
import { makeContext, metaOf, person, snapshot, countEverything, testI18n } from '../app/helpers.ts';
import { createTestDatabase, describeDb, type TestDatabase } from '../helpers/database.ts';
import { type FakeStatuspage, startFakeStatuspage } from '../helpers/upstream/statuspage-server.ts';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.drop();
});

const MINUTE = 60_000;
const logger = createLogger({ level: 'silent' });

/** A console platform whose output the test reads. */
function consolePlatform(clock: ManualClock) {
  let output = '';
  const out = new Writable({
    write(chunk, _enc, done) {
      output += String(chunk);
      done();
    },
  });
  const platform = new ConsolePlatform(out, testI18n(), 'Asia/Tokyo', 'en', () => clock.now());
  return { platform, output: () => output };
}

interface Setup {
  ctx: AppContext;
  clock: ManualClock;
  page: FakeStatuspage;
  poller: UpstreamPoller;
  chat: ReturnType<typeof consolePlatform>;
  newPoller(options?: { timeoutMs?: number }): UpstreamPoller;
}

const opened: FakeStatuspage[] = [];
afterAll(async () => {
  for (const page of opened) await page.close();
});

/** A followed fake vendor page, its own clock, a console platform and a poller. */
async function setup(settings: Partial<AppSettings> = {}): Promise<Setup> {
  const { ctx, clock } = makeContext(database.db, settings, new Date('2021-02-26T13:30:00Z'));
  const page = await startFakeStatuspage('Twilio');
  opened.push(page);
  await followUpstream(ctx, metaOf(person('Aiko')), { url: page.baseUrl });
  const chat = consolePlatform(clock);
  const newPoller = (options: { timeoutMs?: number } = {}) =>
    createUpstreamPoller({ app: ctx, i18n: testI18n(), logger, platform: chat.platform, intervalMs: MINUTE, random: () => 1, only: [page.incidentsUrl], ...options });
  return { ctx, clock, page, chat, newPoller, poller: newPoller() };
}

/** Our incident opened for a vendor incident of this page. */
async function ourIncident(s: Setup, upstreamId: string) {
  const [row] = await database.db
    .select()
    .from(t.upstreamIncident)
    .where(and(eq(t.upstreamIncident.url, s.page.incidentsUrl), eq(t.upstreamIncident.upstreamId, upstreamId)));
  return row && snapshot(database.db, row.incidentId);
}

function only<T extends PollReport['kind']>(reports: PollReport[], kind: T): Extract<PollReport, { kind: T }> {
  expect(reports).toHaveLength(1);
  expect(reports[0]!.kind).toBe(kind);
  return reports[0] as Extract<PollReport, { kind: T }>;
}

function openOutage(page: FakeStatuspage) {
  page.openIncident({
    id: 'p31zjtct2jer',
    name: 'Degraded SMS delivery',
    impact: 'major',
    at: '2021-02-26T13:25:00.000Z',
    body: 'We are investigating delayed delivery of SMS messages.',
    components: [
      { name: 'Programmable SMS', status: 'major_outage' },
      { name: 'Console', status: 'partial_outage' },
    ],
  });
}

describeDb('following an upstream Statuspage', () => {
  let s: Setup;
  beforeEach(async () => {
    s = await setup();
  });

  it('opens our incident for a new vendor incident, marked upstream, with the vendor components', async () => {
    openOutage(s.page);
    const report = only(await s.poller.pollDue(), 'imported');
    expect(report.results).toHaveLength(1);
    expect(report.results[0]!.opened).toBe(true);
    const incident = (await ourIncident(s, 'p31zjtct2jer'))!;
    expect(incident.title).toBe('Twilio: Degraded SMS delivery');
    expect(incident.severity).toBe('SEV2');
    expect(incident.upstream).toMatchObject({ vendor: 'Twilio', url: s.page.incidentsUrl, id: 'p31zjtct2jer' });
    expect(incident.components.map((c) => [c.id, c.name, c.impact])).toEqual(
      expect.arrayContaining([
        ['programmable-sms', 'Programmable SMS', 'major_outage'],
        ['console', 'Console', 'partial_outage'],
      ]),
    );
    expect(incident.moments.started).toEqual(new Date('2021-02-26T13:25:00Z'));
  });

  it('writes the first vendor update to the timeline at the vendor time and drafts it for customers', async () => {
    openOutage(s.page);
    await s.poller.pollDue();
    const incident = (await ourIncident(s, 'p31zjtct2jer'))!;
    const upstream = incident.entries.filter((e) => e.kind === 'upstream');
    expect(upstream).toHaveLength(1);
    expect(upstream[0]!.occurredAt).toEqual(new Date('2021-02-26T13:25:00Z'));
    expect(upstream[0]!.data).toMatchObject({ vendor: 'Twilio', upstreamUpdateId: 'p31zjtct2jer-u1' });
    expect(incident.publicUpdates.map((u) => [u.state, u.status, u.body])).toEqual([
      ['draft', 'investigating', 'We are investigating delayed delivery of SMS messages.'],
    ]);
  });

  it('opens the incident channel and posts the draft preview with its buttons', async () => {
    openOutage(s.page);
    await s.poller.pollDue();
    const out = s.chat.output();
    expect(out).toContain('[#incidents');
    expect(out).toMatch(/#inc-\d+-twilio-degraded-sms-delivery/);
    expect(out).toContain('Twilio posted an update (Investigating)');
    expect(out).toMatch(/\[!\d+ Publish\]/);
  });

  it('keeps the draft a draft with PUBLISH_APPROVAL=off: one click away, never published by the import', async () => {
    const off = await setup({ publishApproval: 'off' });
    openOutage(off.page);
    await off.poller.pollDue();
    const incident = (await ourIncident(off, 'p31zjtct2jer'))!;
    expect(incident.publicUpdates.map((u) => u.state)).toEqual(['draft']);
    expect(incident.moments.first_public).toBeUndefined();
  });

  it('imports each later update once, as a timeline entry and a draft', async () => {
    openOutage(s.page);
    await s.poller.pollDue();
    s.page.addUpdate('p31zjtct2jer', { id: 'u2', status: 'identified', at: '2021-02-26T15:20:00.000Z', body: 'The issue has been identified and a fix is being implemented.' });
    s.clock.set('2021-02-26T15:21:00Z');
    const report = only(await s.poller.pollDue(), 'imported');
    expect(report.results.map((r) => [r.opened, r.imported])).toEqual([[false, 1]]);
    const incident = (await ourIncident(s, 'p31zjtct2jer'))!;
    expect(incident.entries.filter((e) => e.kind === 'upstream').map((e) => e.data.upstreamUpdateId)).toEqual(['p31zjtct2jer-u1', 'u2']);
    expect(incident.publicUpdates.map((u) => u.status)).toEqual(['investigating', 'identified']);
    // Our own status is ours to change: the vendor's news is a proposal.
    expect(incident.status).toBe('investigating');
  });

  it('answers an unchanged page with a 304 that writes nothing', async () => {
    openOutage(s.page);
    await s.poller.pollDue();
    const before = await countEverything(database.db);
    s.clock.advance(MINUTE);
    only(await s.poller.pollDue(), 'not_modified');
    expect(s.page.counts.notModified).toBe(1);
    expect(s.page.conditional).toHaveLength(1);
    expect(await countEverything(database.db)).toEqual(before);
  });

  it('does not poll a page again before its interval', async () => {
    openOutage(s.page);
    await s.poller.pollDue();
    s.clock.advance(MINUTE / 2);
    expect(await s.poller.pollDue()).toEqual([]);
    expect(s.page.counts.ok + s.page.counts.notModified).toBe(1);
  });

  it('is polled as a job the follow armed, which re-arms itself an interval later, or after its backoff', async () => {
    const [follow] = await database.db.select().from(t.upstreamFollow).where(eq(t.upstreamFollow.url, s.page.incidentsUrl));
    const job = async () => (await database.db.select().from(t.scheduledJob).where(eq(t.scheduledJob.key, upstreamPollKey(follow!.id))))[0]!;
    const armed = await job();
    expect(armed).toMatchObject({ kind: UPSTREAM_POLL_JOB.name, state: 'pending', payload: { followId: follow!.id, failures: 0 } });

    openOutage(s.page);
    const report = await s.poller.runJob({ followId: follow!.id, failures: 0 });
    expect(report?.kind).toBe('imported');
    expect(await ourIncident(s, 'p31zjtct2jer')).toBeDefined();
    const next = await job();
    expect(next.runAt.getTime()).toBe(s.clock.now().getTime() + MINUTE);
    expect(next.payload).toEqual({ followId: follow!.id, failures: 0 });

    s.page.failNext(2);
    const failed = await s.poller.runJob({ followId: follow!.id, failures: 0 });
    const retry = await job();
    expect(failed).toMatchObject({ kind: 'failed' });
    expect(retry.payload).toEqual({ followId: follow!.id, failures: 1 });
    expect(retry.runAt.getTime()).toBe(s.clock.now().getTime() + (failed as { retryInMs: number }).retryInMs);
    const again = await s.poller.runJob({ followId: follow!.id, failures: 1 });
    expect((again as { retryInMs: number }).retryInMs).toBeGreaterThan((failed as { retryInMs: number }).retryInMs);
    expect((await job()).payload).toEqual({ followId: follow!.id, failures: 2 });
  });

  it('arms the polls of pages followed before polls were jobs, once; a page no longer followed is dropped', async () => {
    const [follow] = await database.db.select().from(t.upstreamFollow).where(eq(t.upstreamFollow.url, s.page.incidentsUrl));
    await database.db.delete(t.scheduledJob).where(eq(t.scheduledJob.key, upstreamPollKey(follow!.id)));
    expect(await armMissingUpstreamPolls(s.ctx)).toBeGreaterThanOrEqual(1);
    const [armed] = await database.db.select().from(t.scheduledJob).where(eq(t.scheduledJob.key, upstreamPollKey(follow!.id)));
    expect(armed?.state).toBe('pending');
    expect(await armMissingUpstreamPolls(s.ctx)).toBe(0);

    await database.db.delete(t.scheduledJob).where(eq(t.scheduledJob.key, upstreamPollKey(follow!.id)));
    await database.db.delete(t.upstreamFollow).where(eq(t.upstreamFollow.id, follow!.id));
    expect(await s.poller.runJob({ followId: follow!.id, failures: 0 })).toBeUndefined();
    expect(await database.db.select().from(t.scheduledJob).where(eq(t.scheduledJob.key, upstreamPollKey(follow!.id)))).toEqual([]);
    expect(s.page.counts.ok + s.page.counts.notModified + s.page.counts.failed).toBe(0);
  });

  it('retries a page that answered 500, with backoff, and imports once it recovers', async () => {
    openOutage(s.page);
    s.page.failNext(2);
    const first = only(await s.poller.pollDue(), 'failed');
    expect(first.error).toContain('HTTP 500');
    s.clock.advance(first.retryInMs);
    const second = only(await s.poller.pollDue(), 'failed');
    expect(second.retryInMs).toBeGreaterThan(first.retryInMs);
    expect(await ourIncident(s, 'p31zjtct2jer')).toBeUndefined();
    s.clock.advance(second.retryInMs);
    expect(only(await s.poller.pollDue(), 'imported').results).toHaveLength(1);
    const [follow] = await database.db.select().from(t.upstreamFollow).where(eq(t.upstreamFollow.url, s.page.incidentsUrl));
    expect(follow!.lastError).toBeNull();
  });

  it('honours Retry-After on a 503', async () => {
    s.page.failNext(1, 503, '600');
    expect(only(await s.poller.pollDue(), 'failed').retryInMs).toBeGreaterThanOrEqual(600_000);
  });

  it('gives up on a request that hangs and retries it later', async () => {
    const poller = s.newPoller({ timeoutMs: 200 });
    openOutage(s.page);
    s.page.hangNext();
    expect(only(await poller.pollDue(), 'failed').error).toContain('timed out');
    s.clock.advance(10 * MINUTE);
    expect(only(await poller.pollDue(), 'imported').results).toHaveLength(1);
  });

  it('imports nothing twice after a restart, even when the page is served in full again', async () => {
    openOutage(s.page);
    s.page.addUpdate('p31zjtct2jer', { id: 'u2', status: 'identified', at: '2021-02-26T13:29:00.000Z', body: 'Identified.' });
    await s.poller.pollDue();
    const before = await countEverything(database.db);
    // A new process: a fresh poller on the same database, and no ETag to hide behind.
    await database.db.update(t.upstreamFollow).set({ etag: null }).where(eq(t.upstreamFollow.url, s.page.incidentsUrl));
    const restarted = s.newPoller();
    expect(only(await restarted.pollDue(), 'imported').results).toEqual([]);
    expect(s.page.counts.ok).toBe(2);
    expect(await countEverything(database.db)).toEqual(before);
  });

  it('proposes our resolution when the vendor resolves: a resolved draft, not a resolution', async () => {
    openOutage(s.page);
    await s.poller.pollDue();
    s.page.addUpdate('p31zjtct2jer', { id: 'u3', status: 'resolved', at: '2021-02-26T15:30:00.000Z', body: 'This incident has been resolved.' });
    s.clock.set('2021-02-26T15:31:00Z');
    await s.poller.pollDue();
    const incident = (await ourIncident(s, 'p31zjtct2jer'))!;
    expect(incident.publicUpdates.at(-1)).toMatchObject({ status: 'resolved', state: 'draft' });
    expect(incident.status).toBe('investigating');
    expect(incident.moments.resolved).toBeUndefined();
    expect(s.chat.output()).toContain('Publishing this draft does not resolve');
  });

  it('ignores vendor incidents that were over before the page was followed', async () => {
    s.page.openIncident({ id: 'old1', name: 'Old outage', impact: 'minor', at: '2021-02-20T01:00:00.000Z', body: 'Investigating.', components: [] });
    s.page.addUpdate('old1', { id: 'old1-u2', status: 'resolved', at: '2021-02-20T02:00:00.000Z', body: 'Resolved.' });
    expect(only(await s.poller.pollDue(), 'imported').results).toEqual([]);
    expect(await ourIncident(s, 'old1')).toBeUndefined();
  });
});
