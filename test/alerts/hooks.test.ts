import { and, asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { changeStatus } from '../../src/app/change-status.ts';
import { closeIncident } from '../../src/app/close-incident.ts';
import { syncComponents } from '../../src/app/components.ts';
import { type AlertsPart, createAlertsPart } from '../../src/alerts/part.ts';
import { Dispatcher } from '../../src/chat/dispatcher.ts';
import { loadConfig } from '../../src/config.ts';
import { ManualClock } from '../../src/core/clock.ts';
import { findIncidentChatRef } from '../../src/db/incident-repository.ts';
import * as t from '../../src/db/schema.ts';
import { createLogger } from '../../src/logger.ts';
import { buildServer, type Server } from '../../src/main.ts';
import { openRuntime } from '../../src/runtime.ts';
import { MINUTE, person, T0, testI18n } from '../app/helpers.ts';
import { countAllTables } from '../faults/support/fuzz-invariants.ts';
import { createTestDatabase, describeDb, type TestDatabase } from '../helpers/database.ts';
import { RecordingPlatform } from '../helpers/upstream/recording-platform.ts';
import { fixture, groupIncidents, inGroup, onIncident, pagerDutySignature, postHook, startAlertsServer } from './helpers.ts';

const TOKEN = 'alerts-token-4f9c2e';
const OLD_SECRET = 'pd-secret-old';
const NEW_SECRET = 'pd-secret-new';
const BEARER = { Authorization: `Bearer ${TOKEN}` };

let database: TestDatabase;
let clock: ManualClock;
let server: Server;
let alerts: AlertsPart;
let platform: FlakyPlatform;

/** The recording platform, whose next post can be made to fail (a chat outage mid-processing). */
class FlakyPlatform extends RecordingPlatform {
  failNextPost = false;
  override async post(channelId: string, message: Parameters<RecordingPlatform['post']>[1]): Promise<string> {
    if (this.failNextPost) {
      this.failNextPost = false;
      throw new Error('chat is down');
    }
    return super.post(channelId, message);
  }
}
let base: string;

beforeAll(async () => {
  database = await createTestDatabase();
  clock = new ManualClock(T0);
  const config = loadConfig({ ALERTS_TOKEN: TOKEN, PAGERDUTY_WEBHOOK_SECRET: `${OLD_SECRET}, ${NEW_SECRET}`, LOCALES: 'en,ja', TEAM_TIME_ZONE: 'Asia/Tokyo' });
  // A catalog (COMPONENTS_FILE): label values are mapped onto it, unknown ones left out.
  const runtime = await openRuntime(config, { database, clock, i18n: testI18n(), settings: { strictComponents: true } });
  await syncComponents(database.db, { components: [{ id: 'api', name: 'API Service', names: { ja: 'API サービス' } }], glossary: [] }, T0);
  platform = new FlakyPlatform(testI18n(), clock);
  ({ server, alerts, base } = await startAlertsServer(runtime, platform));
});

afterAll(async () => {
  await server?.stop();
  await database?.drop();
});

/** Sends, checks the hook stored it (202), and waits until the worker has processed everything stored. */
async function deliver(source: string, body: unknown, headers: Record<string, string> = BEARER): Promise<{ duplicate: boolean }> {
  const res = await postHook(base, source, body, headers);
  expect(res.status).toBe(202);
  const answer = (await res.json()) as { accepted: boolean; duplicate: boolean };
  await alerts.worker.drain();
  return answer;
}

async function entriesOf(incidentId: string) {
  return database.db.select().from(t.timelineEntry).where(eq(t.timelineEntry.incidentId, incidentId)).orderBy(asc(t.timelineEntry.seq));
}

async function momentsOf(incidentId: string): Promise<Record<string, string>> {
  const rows = await database.db.select().from(t.keyMoment).where(eq(t.keyMoment.incidentId, incidentId));
  return Object.fromEntries(rows.map((m) => [m.kind, m.at.toISOString()]));
}

async function channelOf(incidentId: string): Promise<string> {
  const ref = await findIncidentChatRef(database.db, incidentId, 'console');
  expect(ref).toBeDefined();
  return ref!.channelId;
}

describeDb('POST /hooks/alertmanager', () => {
  it('declares a private incident from a firing group: title, severity, started, detected, announced in the incidents channel', async () => {
    const body = inGroup(fixture<{ groupKey: string }>('alertmanager-firing'), 'declare');
    clock.advance(MINUTE);
    const receivedAt = clock.now();
    await deliver('alertmanager', body);
    clock.advance(MINUTE);

    const [linked] = await groupIncidents(database.db, 'alertmanager', body.groupKey);
    expect(linked).toBeDefined();
    const { incident, group } = linked!;
    expect(incident).toMatchObject({ title: 'Error500Alert', severity: 'SEV3', visibility: 'private', status: 'investigating', declaredByName: 'Alertmanager' });
    expect(group).toMatchObject({ status: 'firing', resolutionProposedAt: null });
    expect(group.firstReceivedAt.toISOString()).toBe(receivedAt.toISOString());
    expect(await momentsOf(incident.id)).toMatchObject({ started: '2025-04-25T11:00:35.042Z', detected: receivedAt.toISOString() });
    const notes = (await entriesOf(incident.id)).filter((e) => e.kind === 'note');
    expect(notes.map((e) => e.text)).toEqual(['Alertmanager: firing: Error500Alert (10.130.0.80:8080)']);
    // No catalog component is named monitor-demo-app: left out rather than refusing the incident.
    expect(await database.db.select().from(t.incidentComponent).where(eq(t.incidentComponent.incidentId, incident.id))).toEqual([]);
    const channel = await channelOf(incident.id);
    expect(channel).toMatch(/^inc-\d+-error500alert/);
    expect(platform.announcements.map((a) => a.text)).toContainEqual(expect.stringContaining(`INC-${incident.number}`));
    expect(platform.announcements.map((a) => a.text)).toContainEqual(expect.stringContaining('Error500Alert'));
  });

  it('changes nothing when the same delivery comes twice: one incident, one stored request, no new entry', async () => {
    const body = inGroup(fixture<{ groupKey: string }>('alertmanager-firing'), 'dedupe');
    expect(await deliver('alertmanager', body)).toEqual({ accepted: true, duplicate: false });
    const [linked] = await groupIncidents(database.db, 'alertmanager', body.groupKey);
    const entries = await entriesOf(linked!.incident.id);
    const before = await countAllTables(database.db);
    clock.advance(MINUTE);
    expect(await deliver('alertmanager', body)).toEqual({ accepted: true, duplicate: true });
    // Alertmanager's repeat_interval resends the same group with the alerts in another order: a repeat too.
    const reordered = { ...body, alerts: [...(body as unknown as { alerts: unknown[] }).alerts].reverse(), receiver: 'another-receiver' };
    expect(await deliver('alertmanager', reordered)).toEqual({ accepted: true, duplicate: true });
    expect(await countAllTables(database.db)).toEqual(before);
    expect(await groupIncidents(database.db, 'alertmanager', body.groupKey)).toHaveLength(1);
    expect(await entriesOf(linked!.incident.id)).toEqual(entries);
  });

  it('adds a timeline entry naming only the alerts new to the group, and says so in the incident channel', async () => {
    const first = inGroup(fixture<{ groupKey: string }>('alertmanager-firing'), 'grows');
    await deliver('alertmanager', first);
    const [linked] = await groupIncidents(database.db, 'alertmanager', first.groupKey);
    const incidentId = linked!.incident.id;
    clock.advance(2 * MINUTE);
    await deliver('alertmanager', inGroup(fixture('alertmanager-firing-more'), 'grows'));

    expect(await groupIncidents(database.db, 'alertmanager', first.groupKey)).toHaveLength(1);
    const notes = (await entriesOf(incidentId)).filter((e) => e.kind === 'note');
    expect(notes.map((e) => e.text)).toEqual(['Alertmanager: firing: Error500Alert (10.130.0.80:8080)', 'Alertmanager: firing: Error500Alert (10.130.0.81:8080)']);
    expect(platform.textsIn(await channelOf(incidentId))).toContainEqual(`INC-${linked!.incident.number}: Alertmanager reports alerts firing: Error500Alert (10.130.0.81:8080)`);
  });

  it('proposes the resolution with a Resolve button when the group resolves, and does not resolve the incident', async () => {
    const firing = inGroup(fixture<{ groupKey: string }>('alertmanager-firing'), 'resolves');
    await deliver('alertmanager', firing);
    const [linked] = await groupIncidents(database.db, 'alertmanager', firing.groupKey);
    const incidentId = linked!.incident.id;
    const channel = await channelOf(incidentId);
    clock.advance(MINUTE);
    const resolved = inGroup(fixture('alertmanager-resolved'), 'resolves');
    await deliver('alertmanager', resolved);

    const [after] = await groupIncidents(database.db, 'alertmanager', firing.groupKey);
    expect(after!.incident.status).toBe('investigating');
    expect(after!.group.status).toBe('resolved');
    expect(after!.group.resolutionProposedAt?.toISOString()).toBe(clock.now().toISOString());
    const proposals = platform.posts.filter((p) => p.channelId === channel && p.message.actions?.some((a) => a.id === 'resolve_incident'));
    expect(proposals).toHaveLength(1);
    expect(proposals[0]!.message.actions).toEqual([{ id: 'resolve_incident', label: `Resolve INC-${after!.incident.number}`, value: incidentId, style: 'primary' }]);
    expect(proposals[0]!.message.text).toContain('Alertmanager reports every alert behind');
    const notes = (await entriesOf(incidentId)).filter((e) => e.kind === 'note').map((e) => e.text);
    expect(notes.at(-1)).toBe('Alertmanager: resolved: Error500Alert (10.130.0.80:8080)');

    // Sent again: no second proposal.
    await deliver('alertmanager', resolved);
    expect(platform.posts.filter((p) => p.channelId === channel && p.message.actions?.length)).toHaveLength(1);
  });

  it('resolves the incident when a person presses Resolve', async () => {
    const firing = inGroup(fixture<{ groupKey: string }>('alertmanager-firing'), 'pressed');
    await deliver('alertmanager', firing);
    await deliver('alertmanager', inGroup(fixture('alertmanager-resolved'), 'pressed'));
    const [linked] = await groupIncidents(database.db, 'alertmanager', firing.groupKey);
    const channel = await channelOf(linked!.incident.id);
    const runtimeApp = server.runtime.app;
    const dispatcher = new Dispatcher({ app: runtimeApp, i18n: testI18n(), platform, logger: createLogger({ level: 'silent' }) });
    const result = await dispatcher.handleAction({ actionId: 'resolve_incident', value: linked!.incident.id, actor: person('Hanako'), channelId: channel });
    expect(result.replies.map((r) => r.message.text).join('\n')).toContain('Resolved');
    const [after] = await database.db.select().from(t.incident).where(eq(t.incident.id, linked!.incident.id));
    expect(after!.status).toBe('resolved');
  });

  it('declares a new incident when the group fires again after its incident was closed', async () => {
    const firing = inGroup(fixture<{ groupKey: string; alerts: { startsAt: string }[] }>('alertmanager-firing'), 'again');
    await deliver('alertmanager', firing);
    const [first] = await groupIncidents(database.db, 'alertmanager', firing.groupKey);
    const closer = { ...person('Jiro'), id: 'jiro-closer' };
    const meta = { actor: closer, inIncidentChannel: true };
    await changeStatus(server.runtime.app, meta, first!.incident.id, { status: 'resolved' });
    await closeIncident(server.runtime.app, meta, first!.incident.id, {});
    clock.advance(10 * MINUTE);
    // The same alert firing anew: a new start.
    await deliver('alertmanager', { ...firing, alerts: firing.alerts.map((a) => ({ ...a, startsAt: '2025-04-26T08:00:00Z' })) });
    const linked = await groupIncidents(database.db, 'alertmanager', firing.groupKey);
    expect(linked.map((l) => l.incident.status)).toEqual(['closed', 'investigating']);
    expect(linked[1]!.incident.id).not.toBe(first!.incident.id);
  });

  it('declares nothing when, after the close, only the alerts the closed incident was about still fire', async () => {
    const grown = inGroup(fixture<{ groupKey: string }>('alertmanager-firing-more'), 'still');
    await deliver('alertmanager', grown);
    const [first] = await groupIncidents(database.db, 'alertmanager', grown.groupKey);
    const meta = { actor: { ...person('Jiro'), id: 'jiro-closer-2' }, inIncidentChannel: true };
    await changeStatus(server.runtime.app, meta, first!.incident.id, { status: 'resolved' });
    await closeIncident(server.runtime.app, meta, first!.incident.id, {});
    // The second pod's alert went away; the first still fires, as it did before the close: a new delivery, no new occurrence.
    await deliver('alertmanager', inGroup(fixture('alertmanager-firing'), 'still'));
    expect((await groupIncidents(database.db, 'alertmanager', grown.groupKey)).map((l) => l.incident.id)).toEqual([first!.incident.id]);
  });

  it('reads payloads without fingerprints (Alertmanager before 0.19), an unknown severity word as the default', async () => {
    const body = inGroup(fixture<{ groupKey: string }>('alertmanager-no-fingerprint'), 'old');
    await deliver('alertmanager', body);
    const [linked] = await groupIncidents(database.db, 'alertmanager', body.groupKey);
    // `severity: major` is no word tsuiki knows: the default.
    expect(linked!.incident).toMatchObject({ title: 'ICMP ping failed', severity: 'SEV3', summary: null });
    const notes = (await entriesOf(linked!.incident.id)).filter((e) => e.kind === 'note');
    expect(notes[0]!.text).toBe('Alertmanager: firing: ICMP ping failed (172.29.254.30), ICMP ping failed (172.29.254.50), ICMP ping failed (172.29.254.66)');
  });
});

describeDb('stored before answered', () => {
  it('answers 202 once the delivery is stored, and a worker started later processes it from the database', async () => {
    await alerts.worker.stop();
    const body = inGroup(fixture<{ groupKey: string }>('alertmanager-firing'), 'stored');
    try {
      const res = await postHook(base, 'alertmanager', body, BEARER);
      expect(res.status).toBe(202);
      const stored = await database.db.select().from(t.inbox).where(and(eq(t.inbox.platform, 'alerts'), eq(t.inbox.lane, `alerts:alertmanager:${body.groupKey}`)));
      expect(stored.map((r) => [r.kind, r.state])).toEqual([['alertmanager', 'pending']]);
      expect(await groupIncidents(database.db, 'alertmanager', body.groupKey)).toEqual([]);
    } finally {
      alerts.worker.start();
    }
    await alerts.worker.drain();
    expect(await groupIncidents(database.db, 'alertmanager', body.groupKey)).toHaveLength(1);
  });

  it('retries a delivery whose processing failed midway without recording anything twice', async () => {
    const firing = inGroup(fixture<{ groupKey: string }>('alertmanager-firing'), 'retried');
    await deliver('alertmanager', firing);
    const [linked] = await groupIncidents(database.db, 'alertmanager', firing.groupKey);
    const channel = await channelOf(linked!.incident.id);
    const entries = (await entriesOf(linked!.incident.id)).length;
    platform.failNextPost = true;
    await deliver('alertmanager', inGroup(fixture('alertmanager-resolved'), 'retried'));
    // The proposal could not be posted: the request waits to be retried, its writes committed.
    const [waiting] = await database.db.select().from(t.inbox).where(and(eq(t.inbox.platform, 'alerts'), eq(t.inbox.state, 'pending')));
    expect(waiting?.lastError).toBe('chat is down');
    clock.advance(5 * MINUTE);
    await alerts.worker.drain();
    expect(await database.db.select().from(t.inbox).where(and(eq(t.inbox.platform, 'alerts'), eq(t.inbox.state, 'pending')))).toEqual([]);
    expect((await entriesOf(linked!.incident.id)).length).toBe(entries + 1);
    expect(platform.posts.filter((p) => p.channelId === channel && p.message.actions?.length)).toHaveLength(1);
  });
});

describeDb('a declaration cut short', () => {
  it('opens the channel a crashed declaration never opened when the group’s next delivery is processed', async () => {
    const firing = inGroup(fixture<{ groupKey: string }>('alertmanager-firing'), 'cut-short');
    // The incident was declared, then the process stopped before chat: no platform to open a channel on yet.
    const platforms = [platform];
    const saved = platforms.splice(0);
    const withoutChat = createAlertsPart({ runtime: server.runtime, logger: createLogger({ level: 'silent' }), metrics: undefined as never }, { platforms: () => platforms, intervalMs: 60_000 })!;
    await alerts.worker.stop();
    try {
      const res = await postHook(base, 'alertmanager', firing, BEARER);
      expect(res.status).toBe(202);
      await withoutChat.worker.drain();
    } finally {
      alerts.worker.start();
      platforms.push(...saved);
    }
    const [linked] = await groupIncidents(database.db, 'alertmanager', firing.groupKey);
    expect(await findIncidentChatRef(database.db, linked!.incident.id, 'console')).toBeUndefined();
    await deliver('alertmanager', inGroup(fixture('alertmanager-firing-more'), 'cut-short'));
    const channel = await channelOf(linked!.incident.id);
    expect(platform.textsIn(channel)).toContainEqual(expect.stringContaining('reports alerts firing'));
  });
});

describeDb('POST /hooks/grafana', () => {
  it('declares from Grafana’s documented payload with the first alert’s summary as title', async () => {
    const body = inGroup(fixture<{ groupKey: string }>('grafana-firing'), 'declare');
    await deliver('grafana', body);
    const [linked] = await groupIncidents(database.db, 'grafana', body.groupKey);
    expect(linked!.incident).toMatchObject({ title: 'This alert was triggered for zone us-1', severity: 'SEV3', visibility: 'private', declaredByName: 'Grafana' });
    expect(await momentsOf(linked!.incident.id)).toMatchObject({ started: '2021-10-12T07:51:03.157Z' });
  });

  it('treats a resend whose values changed as the same delivery', async () => {
    const body = inGroup(fixture<{ groupKey: string; alerts: Record<string, unknown>[] }>('grafana-firing'), 'values');
    await deliver('grafana', body);
    const again = { ...body, alerts: body.alerts.map((a) => ({ ...a, values: { B: 51.2, C: 1 } })) };
    expect(await deliver('grafana', again)).toEqual({ accepted: true, duplicate: true });
  });
});

describeDb('POST /hooks/pagerduty', () => {
  type Pd = { event: { id: string; event_type: string; data: { id: string; status?: string } } };

  it('declares from incident.triggered signed with the new secret, severity from urgency', async () => {
    const body = JSON.stringify(onIncident(fixture<Pd>('pagerduty-incident-triggered'), 'new'));
    await deliver('pagerduty', body, { 'X-PagerDuty-Signature': pagerDutySignature(body, NEW_SECRET) });
    const [linked] = await groupIncidents(database.db, 'pagerduty', 'PFQZPSY-new');
    expect(linked!.incident).toMatchObject({ title: 'Test Incident 3', severity: 'SEV2', visibility: 'private', declaredByName: 'PagerDuty' });
  });

  it('accepts a header with two signatures during a rotation, and one by either secret', async () => {
    const both = JSON.stringify(onIncident(fixture<Pd>('pagerduty-incident-triggered'), 'both'));
    await deliver('pagerduty', both, { 'X-PagerDuty-Signature': `${pagerDutySignature(both, 'a-secret-tsuiki-never-had')},${pagerDutySignature(both, OLD_SECRET)}` });
    const old = JSON.stringify(onIncident(fixture<Pd>('pagerduty-incident-triggered'), 'old'));
    await deliver('pagerduty', old, { 'X-PagerDuty-Signature': pagerDutySignature(old, OLD_SECRET) });
    expect(await groupIncidents(database.db, 'pagerduty', 'PFQZPSY-both')).toHaveLength(1);
    expect(await groupIncidents(database.db, 'pagerduty', 'PFQZPSY-old')).toHaveLength(1);
  });

  it('proposes the resolution on incident.resolved, once per event id', async () => {
    const resolvedFixture = onIncident(fixture<Pd>('pagerduty-incident-resolved'), 'cycle');
    // The same incident's trigger: the resolved event turned back into the incident.triggered that preceded it.
    const triggered = JSON.stringify({ event: { ...resolvedFixture.event, id: `${resolvedFixture.event.id}-t`, event_type: 'incident.triggered', data: { ...resolvedFixture.event.data, status: 'triggered' } } });
    await deliver('pagerduty', triggered, { 'X-PagerDuty-Signature': pagerDutySignature(triggered, NEW_SECRET) });
    const resolved = JSON.stringify(resolvedFixture);
    await deliver('pagerduty', resolved, { 'X-PagerDuty-Signature': pagerDutySignature(resolved, NEW_SECRET) });
    expect(await deliver('pagerduty', resolved, { 'X-PagerDuty-Signature': pagerDutySignature(resolved, OLD_SECRET) })).toEqual({ accepted: true, duplicate: true });
    const [linked] = await groupIncidents(database.db, 'pagerduty', 'PCPZE64-cycle');
    expect(linked!.incident.status).toBe('investigating');
    expect(linked!.group.status).toBe('resolved');
    const channel = await channelOf(linked!.incident.id);
    expect(platform.posts.filter((p) => p.channelId === channel && p.message.actions?.some((a) => a.id === 'resolve_incident'))).toHaveLength(1);
  });

  it('acknowledges events it does not act on (incident.acknowledged, incident.priority_updated) without recording anything', async () => {
    const before = await countAllTables(database.db);
    for (const name of ['pagerduty-incident-acknowledged', 'pagerduty-incident-priority-updated']) {
      const body = JSON.stringify(fixture(name));
      const res = await postHook(base, 'pagerduty', body, { 'X-PagerDuty-Signature': pagerDutySignature(body, NEW_SECRET) });
      expect(res.status).toBe(204);
    }
    expect(await countAllTables(database.db)).toEqual(before);
  });

  it('refuses a signature by an unknown secret, a tampered body and a missing header with 401, recording nothing', async () => {
    const body = JSON.stringify(onIncident(fixture<Pd>('pagerduty-incident-triggered'), 'forged'));
    const before = await countAllTables(database.db);
    const attempts: [string, Record<string, string>][] = [
      [body, { 'X-PagerDuty-Signature': pagerDutySignature(body, 'not-our-secret') }],
      [body.replace('Test Incident 3', 'Test Incident 4'), { 'X-PagerDuty-Signature': pagerDutySignature(body, NEW_SECRET) }],
      [body, { 'X-PagerDuty-Signature': pagerDutySignature(body, NEW_SECRET).replace('v1=', 'v2=') }],
      [body, {}],
    ];
    for (const [sent, headers] of attempts) {
      const res = await postHook(base, 'pagerduty', sent, headers);
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      expect(await res.json()).toMatchObject({ type: 'about:blank', status: 401, title: 'Unauthorized' });
    }
    expect(await countAllTables(database.db)).toEqual(before);
  });
});

describeDb('POST /hooks/generic', () => {
  it('declares with severity and catalog components (by id or name), and proposes the resolution', async () => {
    const firing = { title: 'Checkout latency over 2 s', severity: 'critical', components: ['API Service', 'no-such-component'], key: 'checkout-latency', status: 'firing', summary: 'p99 2.4 s for 5 minutes' };
    await deliver('generic', firing);
    const [linked] = await groupIncidents(database.db, 'generic', 'checkout-latency');
    expect(linked!.incident).toMatchObject({ title: 'Checkout latency over 2 s', severity: 'SEV1', summary: 'p99 2.4 s for 5 minutes', declaredByName: 'Monitoring' });
    const components = await database.db.select().from(t.incidentComponent).where(eq(t.incidentComponent.incidentId, linked!.incident.id));
    expect(components.map((c) => c.componentId)).toEqual(['api']);
    await deliver('generic', { ...firing, status: 'resolved' });
    const [after] = await groupIncidents(database.db, 'generic', 'checkout-latency');
    expect(after!.group.status).toBe('resolved');
    expect(after!.incident.status).toBe('investigating');
  });

  it.each([
    ['no token', {}],
    ['a wrong token', { Authorization: 'Bearer not-the-token' }],
    ['the token as Basic', { Authorization: `Basic ${TOKEN}` }],
    ['the token with a suffix', { Authorization: `Bearer ${TOKEN}x` }],
  ])('refuses %s with a 401 problem document and records nothing', async (_name, headers) => {
    const before = await countAllTables(database.db);
    const res = await postHook(base, 'generic', { title: 'x', key: 'unauthorized', status: 'firing' }, headers);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(await res.json()).toMatchObject({ type: 'about:blank', status: 401, instance: '/hooks/generic' });
    expect(await countAllTables(database.db)).toEqual(before);
  });

  it('answers malformed bodies with a 400 problem document pointing at the fields, in the language asked for, recording nothing', async () => {
    const before = await countAllTables(database.db);
    const res = await postHook(base, 'generic', { title: '', key: 'k', status: 'burning', severity: 'apocalyptic' }, { ...BEARER, 'Accept-Language': 'ja-JP,ja;q=0.9' });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(res.headers.get('content-language')).toBe('ja');
    const problem = (await res.json()) as { title: string; detail: string; errors: { pointer: string }[] };
    expect(problem.title).toBe('不正なリクエスト');
    expect(problem.detail).toContain('generic');
    expect(problem.errors.map((e) => e.pointer).sort()).toEqual(['#/severity', '#/status', '#/title']);
    const notJson = await postHook(base, 'alertmanager', '{"version": "4", "groupKey":', BEARER);
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toMatchObject({ title: 'Bad Request', detail: expect.stringContaining('not JSON') });
    const { groupKey: _dropped, ...withoutKey } = fixture<Record<string, unknown>>('alertmanager-firing');
    const noGroupKey = await postHook(base, 'alertmanager', withoutKey, BEARER);
    expect(noGroupKey.status).toBe(400);
    expect(((await noGroupKey.json()) as { errors: { pointer: string }[] }).errors.map((e) => e.pointer)).toEqual(['#/groupKey']);
    expect(await countAllTables(database.db)).toEqual(before);
  });
});

describeDb('hooks without their secret', () => {
  it('are not served: 404 for the bearer hooks without ALERTS_TOKEN, while PagerDuty is served with its secret', async () => {
    const config = loadConfig({ PAGERDUTY_WEBHOOK_SECRET: NEW_SECRET, LOCALES: 'en,ja' });
    const runtime = await openRuntime(config, { database, clock, i18n: testI18n() });
    const other = await buildServer(runtime, { parts: [(deps) => createAlertsPart(deps, { platforms: () => [] })], logger: createLogger({ level: 'silent' }), port: 0, host: '127.0.0.1' });
    try {
      const url = `http://127.0.0.1:${other.port}`;
      for (const source of ['alertmanager', 'grafana', 'generic']) expect((await postHook(url, source, fixture('alertmanager-firing'), BEARER)).status).toBe(404);
      expect((await postHook(url, 'pagerduty', '{}', {})).status).toBe(401);
    } finally {
      await other.stop();
    }
  });

  it('is no part at all when neither ALERTS_TOKEN nor PAGERDUTY_WEBHOOK_SECRET is set', async () => {
    const runtime = await openRuntime(loadConfig({ LOCALES: 'en,ja' }), { database, clock, i18n: testI18n() });
    expect(createAlertsPart({ runtime, logger: createLogger({ level: 'silent' }), metrics: undefined as never })).toBeUndefined();
    await runtime.close();
  });
});

