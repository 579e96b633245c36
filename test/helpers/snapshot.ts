import type { AffectedComponent, IncidentSnapshot, PublicUpdateView, TimelineEntry } from '../../src/core/incident.ts';
import type { EntryKind } from '../../src/core/model.ts';

/** A wall-clock time in Japan, as the story's notice writes them: `jst('2021-02-27T00:20')`. */
export function jst(local: string): Date {
  return new Date(`${local}:00+09:00`);
}

export interface EntryInput {
  kind: EntryKind;
  at: Date;
  /** Defaults to `at`; later than `at` means the entry was back-dated. */
  recordedAt?: Date;
  text?: string | null;
  data?: Record<string, unknown>;
  author?: string;
}

/** Timeline entries with ids and seq numbers in the order given. */
export function entries(...inputs: EntryInput[]): TimelineEntry[] {
  return inputs.map((input, i) => ({
    id: `e${i + 1}`,
    seq: i + 1,
    kind: input.kind,
    authorId: `U-${input.author ?? 'aiko'}`,
    authorName: input.author ?? 'Aiko',
    occurredAt: input.at,
    recordedAt: input.recordedAt ?? input.at,
    text: input.text ?? null,
    sourceLang: input.text ? 'en' : null,
    data: input.data ?? {},
  }));
}

/** One timeline entry, for tests about a single line. */
export function entry(input: EntryInput): TimelineEntry {
  return entries(input)[0]!;
}

/** A minimal public incident declared at `createdAt`; override what the test is about. */
export function snapshot(overrides: Partial<IncidentSnapshot> = {}): IncidentSnapshot {
  const createdAt = overrides.createdAt ?? jst('2021-02-26T22:45');
  return {
    id: 'inc-1',
    number: 42,
    title: 'Elevated API errors',
    summary: null,
    severity: 'SEV2',
    status: 'investigating',
    visibility: 'public',
    declaredBy: { id: 'U-aiko', name: 'Aiko' },
    sourceLang: 'en',
    remindMinutes: null,
    createdAt,
    updatedAt: createdAt,
    upstream: null,
    components: [],
    roles: [],
    responderIds: [],
    moments: { declared: createdAt },
    entries: entries({ kind: 'declared', at: createdAt, text: overrides.title ?? 'Elevated API errors', data: { severity: 'SEV2', visibility: 'public', components: [] } }),
    actions: [],
    publicUpdates: [],
    ...overrides,
  };
}

function publicUpdate(id: string, status: PublicUpdateView['status'], at: Date, body: string, ja: string): PublicUpdateView {
  return {
    id,
    status,
    body,
    sourceLang: 'en',
    state: 'published',
    authorId: 'U-ben',
    createdAt: at,
    publishedAt: at,
    translations: [{ lang: 'ja', body: ja, origin: 'approved' }],
  };
}

/**
 * The outage of the story, scripted: impact began 22:25 JST on 2021-02-26, engineers were
 * paged a minute later, the incident was declared at 22:45 and the status page said so at
 * 22:50; recovery began at 0:15 and was done at 0:30, with addenda at 0:20, 1:00 and 2:00.
 */
export function storyIncident(): IncidentSnapshot {
  const t = {
    started: jst('2021-02-26T22:25'),
    detected: jst('2021-02-26T22:26'),
    declared: jst('2021-02-26T22:45'),
    firstPublic: jst('2021-02-26T22:50'),
    identified: jst('2021-02-26T23:40'),
    mitigated: jst('2021-02-27T00:15'),
    update020: jst('2021-02-27T00:20'),
    resolved: jst('2021-02-27T00:30'),
    update100: jst('2021-02-27T01:00'),
    update200: jst('2021-02-27T02:00'),
    closed: jst('2021-02-27T02:10'),
  };
  const updates = [
    publicUpdate('u1', 'investigating', t.firstPublic, 'Multiple services, including the Console and the REST API, are down. We are investigating.', '管理画面 (Console) や REST API を含む複数のサービスがダウンしております。現在調査を進めております。'),
    publicUpdate('u2', 'monitoring', t.update020, 'Programmable Voice calls controlled by already configured webhooks are working.', '設定済みの Webhook で制御している Programmable Voice は動作しております。'),
    publicUpdate('u3', 'resolved', t.update100, 'The multi-service outage is resolved. Queued messages will take some time to be delivered.', '複数サービスにわたる障害は解消いたしました。キューイングされたメッセージの配送にはまだしばらく時間がかかる見込みです。'),
    publicUpdate('u4', 'resolved', t.update200, 'All services have recovered. Queued messages continue to be delivered.', 'すべてのサービスが復旧いたしました。キューイングされたメッセージは引き続き順次配送されます。'),
  ];
  const components: AffectedComponent[] = [
    { id: 'api', name: 'REST API', names: { ja: 'REST API' }, impact: 'major_outage', since: t.declared },
    { id: 'console', name: 'Console', names: { ja: 'コンソール (管理画面)' }, impact: 'major_outage', since: t.declared },
    { id: 'sms', name: 'Programmable SMS', names: {}, impact: 'partial_outage', since: t.declared },
  ];
  const pub = (u: PublicUpdateView): EntryInput => ({ kind: 'public_update', at: u.publishedAt!, text: u.body, data: { updateId: u.id, status: u.status }, author: 'Ben' });
  return snapshot({
    title: 'Widespread outage of the API and Console',
    summary: 'An overloaded internal management service made many products fail for about two hours.',
    severity: 'SEV1',
    status: 'closed',
    createdAt: t.declared,
    updatedAt: t.closed,
    components,
    roles: [
      { role: 'commander', userId: 'U-aiko', userName: 'Aiko' },
      { role: 'comms', userId: 'U-ben', userName: 'Ben' },
    ],
    moments: {
      started: t.started,
      detected: t.detected,
      declared: t.declared,
      first_public: t.firstPublic,
      mitigated: t.mitigated,
      resolved: t.resolved,
      closed: t.closed,
    },
    entries: entries(
      { kind: 'declared', at: t.declared, text: 'Widespread outage of the API and Console', data: { severity: 'SEV1', visibility: 'public', components: ['api', 'console', 'sms'] } },
      { kind: 'component', at: t.declared, data: { components: components.map(({ id, name, impact }) => ({ id, name, impact })) } },
      { kind: 'role', at: t.declared, data: { role: 'commander', userId: 'U-aiko', userName: 'Aiko' } },
      { kind: 'moment', at: t.started, recordedAt: jst('2021-02-26T22:47'), data: { moment: 'started', at: t.started.toISOString() } },
      { kind: 'moment', at: t.detected, recordedAt: jst('2021-02-26T22:47'), data: { moment: 'detected', at: t.detected.toISOString() } },
      pub(updates[0]!),
      { kind: 'status', at: t.identified, text: null, data: { status: 'identified', from: 'investigating' } },
      { kind: 'note', at: jst('2021-02-27T00:05'), text: 'Failover of the management service is in progress.' },
      { kind: 'moment', at: t.mitigated, data: { moment: 'mitigated', at: t.mitigated.toISOString() } },
      { kind: 'status', at: t.mitigated, data: { status: 'monitoring', from: 'identified' } },
      pub(updates[1]!),
      { kind: 'status', at: t.resolved, data: { status: 'resolved', from: 'monitoring' } },
      pub(updates[2]!),
      pub(updates[3]!),
      { kind: 'cause', at: jst('2021-02-27T02:05'), text: 'An internal management service overloaded; services depending on it did not fail over.' },
      { kind: 'action', at: jst('2021-02-27T02:06'), text: 'Review autoscaling of the management service', data: { ownerName: 'Chen' } },
      { kind: 'closed', at: t.closed, text: 'All services have recovered.' },
    ),
    actions: [
      { id: 'a1', text: 'Review autoscaling of the management service', ownerId: 'U-chen', ownerName: 'Chen', done: false, createdAt: jst('2021-02-27T02:06') },
      { id: 'a2', text: 'Page the comms lead together with the on-call engineer', ownerId: 'U-ben', ownerName: 'Ben', done: true, createdAt: jst('2021-02-27T02:07') },
    ],
    publicUpdates: updates,
  });
}
