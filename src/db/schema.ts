import { sql } from 'drizzle-orm';
import {
  bigserial,
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgSequence,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });
const inList = (values: readonly string[]) => sql.raw(values.map((v) => `'${v}'`).join(', '));

/** Incident numbers (`INC-n`); a sequence, so two processes never hand out the same one. */
export const incidentNumberSeq = pgSequence('incident_number_seq', { startWith: 1 });

export const incident = pgTable(
  'incident',
  {
    id: uuid('id').primaryKey(),
    number: integer('number').notNull().unique(),
    title: text('title').notNull(),
    summary: text('summary'),
    severity: text('severity').notNull(),
    // Cached from the timeline by deriveStatus() in the same transaction as every write;
    // never assigned on its own, so a back-dated entry cannot win over a newer one.
    status: text('status').notNull(),
    visibility: text('visibility').notNull(),
    declaredBy: text('declared_by').notNull(),
    declaredByName: text('declared_by_name').notNull(),
    sourceLang: text('source_lang').notNull(),
    remindMinutes: integer('remind_minutes'),
    upstream: jsonb('upstream'),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
  },
  (t) => [
    check('incident_severity_check', sql`${t.severity} in ('SEV1', 'SEV2', 'SEV3', 'SEV4')`),
    check(
      'incident_status_check',
      sql`${t.status} in (${inList(['investigating', 'identified', 'monitoring', 'resolved', 'closed'])})`,
    ),
    check('incident_visibility_check', sql`${t.visibility} in ('public', 'private')`),
    index('incident_status_idx').on(t.status),
  ],
);

/** Components customers see; `id` is what commands type, created on first use without a COMPONENTS_FILE. */
export const component = pgTable('component', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  names: jsonb('names').$type<Record<string, string>>().notNull().default({}),
  statuspageId: text('statuspage_id'),
  position: integer('position').notNull().default(0),
  createdAt: ts('created_at').notNull(),
});

export const incidentComponent = pgTable(
  'incident_component',
  {
    incidentId: uuid('incident_id')
      .notNull()
      .references(() => incident.id),
    componentId: text('component_id')
      .notNull()
      .references(() => component.id),
    impact: text('impact').notNull(),
    since: ts('since').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.incidentId, t.componentId] }),
    check(
      'incident_component_impact_check',
      sql`${t.impact} in ('degraded_performance', 'partial_outage', 'major_outage')`,
    ),
  ],
);

/** Append-only record of what happened; `occurredAt` is what the user said, `recordedAt` when we learned it. */
export const timelineEntry = pgTable(
  'timeline_entry',
  {
    id: uuid('id').primaryKey(),
    // Insertion order, the tie-breaker when two entries share an occurredAt.
    seq: bigserial('seq', { mode: 'number' }).notNull(),
    incidentId: uuid('incident_id')
      .notNull()
      .references(() => incident.id),
    kind: text('kind').notNull(),
    authorId: text('author_id').notNull(),
    authorName: text('author_name').notNull(),
    occurredAt: ts('occurred_at').notNull(),
    recordedAt: ts('recorded_at').notNull(),
    text: text('text'),
    sourceLang: text('source_lang'),
    data: jsonb('data').$type<Record<string, unknown>>().notNull().default({}),
  },
  (t) => [index('timeline_entry_incident_idx').on(t.incidentId, t.occurredAt, t.seq)],
);

/** The latest value of each key moment; every change is also a `moment` timeline entry. */
export const keyMoment = pgTable(
  'key_moment',
  {
    incidentId: uuid('incident_id')
      .notNull()
      .references(() => incident.id),
    kind: text('kind').notNull(),
    at: ts('at').notNull(),
    setBy: text('set_by').notNull(),
    recordedAt: ts('recorded_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.incidentId, t.kind] }),
    check(
      'key_moment_kind_check',
      sql`${t.kind} in (${inList(['started', 'detected', 'declared', 'first_public', 'mitigated', 'resolved', 'closed'])})`,
    ),
  ],
);

export const incidentRole = pgTable(
  'incident_role',
  {
    incidentId: uuid('incident_id')
      .notNull()
      .references(() => incident.id),
    role: text('role').notNull(),
    userId: text('user_id').notNull(),
    userName: text('user_name').notNull(),
    assignedAt: ts('assigned_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.incidentId, t.role] })],
);

/** People who have acted in an incident; private incidents are visible to them only. */
export const responder = pgTable(
  'responder',
  {
    incidentId: uuid('incident_id')
      .notNull()
      .references(() => incident.id),
    userId: text('user_id').notNull(),
    userName: text('user_name').notNull(),
    since: ts('since').notNull(),
  },
  (t) => [primaryKey({ columns: [t.incidentId, t.userId] })],
);

export const actionItem = pgTable(
  'action_item',
  {
    id: uuid('id').primaryKey(),
    incidentId: uuid('incident_id')
      .notNull()
      .references(() => incident.id),
    text: text('text').notNull(),
    ownerId: text('owner_id'),
    ownerName: text('owner_name'),
    done: boolean('done').notNull().default(false),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [index('action_item_incident_idx').on(t.incidentId)],
);

/** A public update: one status + body, translated, published as one unit. */
export const publicUpdate = pgTable(
  'public_update',
  {
    id: uuid('id').primaryKey(),
    incidentId: uuid('incident_id')
      .notNull()
      .references(() => incident.id),
    status: text('status').notNull(),
    body: text('body').notNull(),
    sourceLang: text('source_lang').notNull(),
    state: text('state').notNull(),
    authorId: text('author_id').notNull(),
    authorName: text('author_name').notNull(),
    approvedBy: text('approved_by'),
    createdAt: ts('created_at').notNull(),
    publishedAt: ts('published_at'),
  },
  (t) => [
    check('public_update_state_check', sql`${t.state} in ('draft', 'published', 'cancelled')`),
    index('public_update_incident_idx').on(t.incidentId, t.createdAt),
  ],
);

export const publicUpdateTranslation = pgTable(
  'public_update_translation',
  {
    updateId: uuid('update_id')
      .notNull()
      .references(() => publicUpdate.id),
    lang: text('lang').notNull(),
    body: text('body').notNull(),
    origin: text('origin').notNull(),
    translator: text('translator'),
    updatedAt: ts('updated_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.updateId, t.lang] }),
    check('public_update_translation_origin_check', sql`${t.origin} in ('machine', 'human', 'approved')`),
  ],
);

export const subscriber = pgTable(
  'subscriber',
  {
    id: uuid('id').primaryKey(),
    kind: text('kind').notNull(),
    address: text('address').notNull(),
    lang: text('lang').notNull(),
    timeZone: text('time_zone').notNull(),
    // Empty: every component.
    components: text('components').array().notNull().default(sql`'{}'::text[]`),
    secret: text('secret'),
    confirmed: boolean('confirmed').notNull().default(false),
    confirmToken: text('confirm_token'),
    unsubscribeToken: text('unsubscribe_token').notNull(),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('subscriber_kind_address_idx').on(t.kind, t.address),
    check('subscriber_kind_check', sql`${t.kind} in ('email', 'webhook', 'slack', 'teams')`),
  ],
);

/** One public update to one target; the idempotency key makes a second attempt a no-op. */
export const delivery = pgTable(
  'delivery',
  {
    id: uuid('id').primaryKey(),
    idempotencyKey: text('idempotency_key').notNull().unique(),
    updateId: uuid('update_id')
      .notNull()
      .references(() => publicUpdate.id),
    incidentId: uuid('incident_id')
      .notNull()
      .references(() => incident.id),
    target: text('target').notNull(),
    subscriberId: uuid('subscriber_id').references(() => subscriber.id),
    state: text('state').notNull(),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    nextAttemptAt: ts('next_attempt_at'),
    // The worker (process) holding the claim; a dead worker's claims are released at once (liveness).
    claimedBy: uuid('claimed_by'),
    deliveredAt: ts('delivered_at'),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [
    check('delivery_state_check', sql`${t.state} in ('pending', 'delivered', 'failed', 'dead', 'skipped')`),
    index('delivery_update_idx').on(t.updateId, t.state),
    // The outbox's claim: due deliveries, and "is an earlier one in this lane still open?".
    index('delivery_due_idx').on(t.state, t.nextAttemptAt),
    index('delivery_lane_idx').on(t.incidentId, t.target, t.subscriberId, t.createdAt),
  ],
);

/**
 * Where an incident lives in chat: a Slack channel, a Teams conversation (with the
 * serialized ConversationReference needed to post proactively), or the local console.
 */
export const chatRef = pgTable(
  'chat_ref',
  {
    id: uuid('id').primaryKey(),
    incidentId: uuid('incident_id').references(() => incident.id),
    platform: text('platform').notNull(),
    purpose: text('purpose').notNull(),
    channelId: text('channel_id').notNull(),
    teamId: text('team_id'),
    conversationRef: jsonb('conversation_ref'),
    headerMessageId: text('header_message_id'),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [
    uniqueIndex('chat_ref_platform_channel_idx').on(t.platform, t.channelId),
    index('chat_ref_incident_idx').on(t.incidentId),
    check('chat_ref_purpose_check', sql`${t.purpose} in ('incident', 'announcement', 'incidents')`),
  ],
);

/** Who did what, for every write; kept apart from the timeline, which is what people read. */
export const auditEvent = pgTable(
  'audit_event',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    at: ts('at').notNull(),
    actorPlatform: text('actor_platform').notNull(),
    actorId: text('actor_id').notNull(),
    action: text('action').notNull(),
    incidentId: uuid('incident_id'),
    detail: jsonb('detail').$type<Record<string, unknown>>().notNull().default({}),
  },
  (t) => [index('audit_event_incident_idx').on(t.incidentId)],
);

/**
 * One row per caller-supplied idempotency key; written in the command's own transaction,
 * so a retried command finds it and records nothing new.
 */
export const commandReceipt = pgTable('command_receipt', {
  key: text('key').primaryKey(),
  verb: text('verb').notNull(),
  incidentId: uuid('incident_id'),
  result: jsonb('result').$type<Record<string, unknown>>().notNull(),
  createdAt: ts('created_at').notNull(),
});

export const postmortem = pgTable(
  'postmortem',
  {
    incidentId: uuid('incident_id')
      .notNull()
      .references(() => incident.id),
    lang: text('lang').notNull(),
    markdown: text('markdown').notNull(),
    generatedAt: ts('generated_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.incidentId, t.lang] })],
);

/** A vendor status page being followed (`follow <url>`); polled by the upstream watcher. */
export const upstreamFollow = pgTable('upstream_follow', {
  id: uuid('id').primaryKey(),
  url: text('url').notNull().unique(),
  createdBy: text('created_by').notNull(),
  etag: text('etag'),
  lastPolledAt: ts('last_polled_at'),
  lastError: text('last_error'),
  createdAt: ts('created_at').notNull(),
});

/**
 * Machine translations already paid for, keyed by what determines the result: the source
 * text (hashed), the language pair, the translator and the glossary version. A repeat
 * costs no call; a glossary change makes old entries unreachable rather than wrong.
 */
export const translationCache = pgTable(
  'translation_cache',
  {
    textHash: text('text_hash').notNull(),
    sourceLang: text('source_lang').notNull(),
    targetLang: text('target_lang').notNull(),
    translator: text('translator').notNull(),
    glossaryVersion: text('glossary_version').notNull(),
    translated: text('translated').notNull(),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.textHash, t.sourceLang, t.targetLang, t.translator, t.glossaryVersion] })],
);

/**
 * Generic scheduled jobs in the outbox (reminders, …): `key` makes scheduling idempotent,
 * `version` grows on every (re)schedule so a run finishing late cannot mark a re-armed job done.
 */
export const scheduledJob = pgTable(
  'scheduled_job',
  {
    id: uuid('id').primaryKey(),
    kind: text('kind').notNull(),
    key: text('key').notNull().unique(),
    runAt: ts('run_at').notNull(),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull().default({}),
    // The version of the job type's payload schema it was written with (job-runner.ts).
    payloadVersion: integer('payload_version').notNull().default(1),
    state: text('state').notNull(),
    version: integer('version').notNull().default(1),
    attempts: integer('attempts').notNull().default(0),
    // While a worker holds the job; an expired lease is taken again (a killed worker's claim).
    leasedUntil: ts('leased_until'),
    // The worker holding the lease; a dead worker's lease is released at once (liveness).
    claimedBy: uuid('claimed_by'),
    lastError: text('last_error'),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
  },
  (t) => [
    check('scheduled_job_state_check', sql`${t.state} in ('pending', 'done', 'cancelled', 'dead')`),
    index('scheduled_job_due_idx').on(t.state, t.runAt),
  ],
);

/** What an external target calls our incident (the Statuspage incident id), so later updates edit it. */
export const externalIncident = pgTable(
  'external_incident',
  {
    incidentId: uuid('incident_id')
      .notNull()
      .references(() => incident.id),
    target: text('target').notNull(),
    externalId: text('external_id').notNull(),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.incidentId, t.target] })],
);

/** The one in-place progress message of a publish fan-out, per update. */
export const deliveryProgress = pgTable('delivery_progress', {
  updateId: uuid('update_id')
    .primaryKey()
    .references(() => publicUpdate.id),
  messageRef: text('message_ref'),
  finishedAt: ts('finished_at'),
  updatedAt: ts('updated_at').notNull(),
});

/** An upstream vendor incident we opened one of ours for; one row per (followed page, vendor incident id). */
export const upstreamIncident = pgTable(
  'upstream_incident',
  {
    url: text('url').notNull(),
    upstreamId: text('upstream_id').notNull(),
    incidentId: uuid('incident_id')
      .notNull()
      .references(() => incident.id),
    vendor: text('vendor').notNull(),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.url, t.upstreamId] }), index('upstream_incident_incident_idx').on(t.incidentId)],
);

/** Every vendor update imported, keyed by its upstream id: a restart or a second poller never imports it twice. */
export const upstreamUpdate = pgTable(
  'upstream_update',
  {
    url: text('url').notNull(),
    upstreamUpdateId: text('upstream_update_id').notNull(),
    incidentId: uuid('incident_id')
      .notNull()
      .references(() => incident.id),
    // Null when the update was seen but nothing was drafted (a closed or private incident).
    publicUpdateId: uuid('public_update_id'),
    importedAt: ts('imported_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.url, t.upstreamUpdateId] })],
);

/** Reminder state per incident: when the bot last nudged and until when a responder snoozed it. */
export const incidentReminder = pgTable('incident_reminder', {
  incidentId: uuid('incident_id')
    .primaryKey()
    .references(() => incident.id),
  lastNudgeAt: ts('last_nudge_at'),
  snoozedUntil: ts('snoozed_until'),
  updatedAt: ts('updated_at').notNull(),
});

/** The last status of a SEV1/SEV2 incident posted to the incidents channel, so each change is posted once. */
export const incidentDigestState = pgTable('incident_digest_state', {
  incidentId: uuid('incident_id')
    .primaryKey()
    .references(() => incident.id),
  status: text('status').notNull(),
  postedAt: ts('posted_at').notNull(),
});

/**
 * Every Teams conversation tsuiki posts into from its queue, with what the Bot Framework
 * connector needs to reach it without anyone's turn (service URL, conversation, tenant, bot)
 * and the live header card's activity id, so a worker still reaches it — and edits the same
 * header — after a restart. An incident's row starts `opening`: its Graph channel or thread
 * is made by the worker, never inside the HTTP turn.
 */
export const teamsConversation = pgTable(
  'teams_conversation',
  {
    id: uuid('id').primaryKey(),
    incidentId: uuid('incident_id').references(() => incident.id),
    purpose: text('purpose').notNull(),
    state: text('state').notNull(),
    serviceUrl: text('service_url').notNull(),
    tenantId: text('tenant_id'),
    botId: text('bot_id').notNull(),
    botName: text('bot_name'),
    teamId: text('team_id'),
    // The Teams channel (`19:…@thread.tacv2`); null in personal and group chats.
    channelId: text('channel_id'),
    // True when tsuiki created the channel (Graph): every thread in it belongs to the incident.
    ownsChannel: boolean('owns_channel').notNull().default(false),
    // Where posts go: a thread (`<channel>;messageid=<root>`), a channel or a chat; null while opening.
    conversationId: text('conversation_id'),
    rootActivityId: text('root_activity_id'),
    headerActivityId: text('header_activity_id'),
    // Bumped on every change to the incident; the header is sent until the sent version catches up.
    headerVersion: integer('header_version').notNull().default(0),
    headerSentVersion: integer('header_sent_version').notNull().default(0),
    // While one worker sends here; keeps two processes from posting the same message twice.
    leasedUntil: ts('leased_until'),
    claimedBy: uuid('claimed_by'),
    // No sends before this after a failure (the connector's Retry-After, or backoff), however
    // often new messages re-arm the send job.
    retryAt: ts('retry_at'),
    lastError: text('last_error'),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('teams_conversation_incident_idx').on(t.incidentId),
    uniqueIndex('teams_conversation_conversation_idx').on(t.conversationId),
    index('teams_conversation_channel_idx').on(t.channelId),
    check('teams_conversation_purpose_check', sql`${t.purpose} in ('incident', 'incidents', 'channel')`),
    check('teams_conversation_state_check', sql`${t.state} in ('opening', 'open', 'failed')`),
  ],
);

/**
 * A message queued for a Teams conversation; its id is what `post` returns and `update`
 * takes. Sent in `seq` order by one worker at a time; `activityId` once Teams has it, so a
 * retried send edits it instead of posting it again.
 */
export const teamsMessage = pgTable(
  'teams_message',
  {
    id: uuid('id').primaryKey(),
    conversationId: uuid('conversation_id')
      .notNull()
      .references(() => teamsConversation.id),
    seq: bigserial('seq', { mode: 'number' }).notNull(),
    activity: jsonb('activity').$type<Record<string, unknown>>().notNull(),
    activityId: text('activity_id'),
    version: integer('version').notNull().default(1),
    sentVersion: integer('sent_version').notNull().default(0),
    // Teams refused it for good (4xx): not retried, and no longer holding up later messages.
    failedAt: ts('failed_at'),
    lastError: text('last_error'),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
  },
  (t) => [index('teams_message_conversation_idx').on(t.conversationId, t.seq)],
);

/**
 * Every request a chat platform delivered, stored before it is acknowledged: what the
 * platform was told we accepted is here even if the process dies a moment later, and is
 * processed from this row by whichever process claims it. `delivery_key` (Slack's
 * trigger_id, event_id, …) is unique, so a redelivery finds its row and adds nothing.
 * Rows of one `lane` (a person in a channel) are processed one at a time, in order.
 */
export const inbox = pgTable(
  'inbox',
  {
    id: uuid('id').primaryKey(),
    platform: text('platform').notNull(),
    kind: text('kind').notNull(),
    deliveryKey: text('delivery_key').notNull().unique(),
    lane: text('lane').notNull(),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    state: text('state').notNull(),
    attempts: integer('attempts').notNull().default(0),
    // While claimed: the end of the claim's lease (a backstop; a dead worker's claim is released at once).
    nextAttemptAt: ts('next_attempt_at'),
    claimedBy: uuid('claimed_by'),
    lastError: text('last_error'),
    receivedAt: ts('received_at').notNull(),
    doneAt: ts('done_at'),
  },
  (t) => [
    check('inbox_state_check', sql`${t.state} in ('pending', 'done', 'dead')`),
    index('inbox_pending_lane_idx').on(t.lane, t.receivedAt, t.id).where(sql`${t.state} = 'pending'`),
    index('inbox_done_idx').on(t.doneAt).where(sql`${t.state} <> 'pending'`),
  ],
);

/**
 * A running tsuiki process that claims work. It holds a session-level advisory lock
 * (`lock_key`) for as long as it lives: when its connection dies — kill -9, a lost host —
 * PostgreSQL drops the lock, and any other process releases the dead one's claims at once
 * instead of waiting out their leases.
 */
export const worker = pgTable('worker', {
  id: uuid('id').primaryKey(),
  lockKey: integer('lock_key').notNull().unique(),
  pid: integer('pid').notNull(),
  host: text('host').notNull(),
  startedAt: ts('started_at').notNull(),
  heartbeatAt: ts('heartbeat_at').notNull(),
});

/**
 * A chat message posted while processing one stored request, by its key (the request's
 * delivery key and the message's place among its replies). A request processed again after
 * a crash finds the message it already posted here and does not post it twice; only a
 * crash between the platform accepting a post and this row being written repeats one.
 */
export const sentMessage = pgTable('sent_message', {
  key: text('key').primaryKey(),
  platform: text('platform').notNull(),
  channelId: text('channel_id').notNull(),
  messageId: text('message_id').notNull(),
  sentAt: ts('sent_at').notNull(),
});

/** Maintenance numbers (`MNT-n`); a sequence of their own, so incident numbers stay dense. */
export const maintenanceNumberSeq = pgSequence('maintenance_number_seq', { startWith: 1 });

/**
 * A scheduled maintenance window. `status` moves scheduled → in_progress → (verifying) →
 * completed by itself at `scheduledFor` and `scheduledUntil` (durable jobs, see
 * src/app/maintenance.ts) unless a person moves it first; `cancelled` hides it everywhere.
 */
export const maintenance = pgTable(
  'maintenance',
  {
    id: uuid('id').primaryKey(),
    number: integer('number').notNull().unique(),
    title: text('title').notNull(),
    description: text('description'),
    status: text('status').notNull(),
    visibility: text('visibility').notNull(),
    components: text('components').array().notNull().default(sql`'{}'::text[]`),
    scheduledFor: ts('scheduled_for').notNull(),
    scheduledUntil: ts('scheduled_until').notNull(),
    sourceLang: text('source_lang').notNull(),
    createdBy: text('created_by').notNull(),
    createdByName: text('created_by_name').notNull(),
    startedAt: ts('started_at'),
    completedAt: ts('completed_at'),
    // The reminder notice went out (at most once per window; moving the window re-arms it).
    remindedAt: ts('reminded_at'),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
  },
  (t) => [
    check('maintenance_status_check', sql`${t.status} in (${inList(['scheduled', 'in_progress', 'verifying', 'completed', 'cancelled'])})`),
    check('maintenance_visibility_check', sql`${t.visibility} in ('public', 'private')`),
    check('maintenance_window_check', sql`${t.scheduledUntil} > ${t.scheduledFor}`),
    index('maintenance_status_idx').on(t.status, t.scheduledFor),
  ],
);

/**
 * What a maintenance told the public, in order: each row is one notice (scheduled, reminder,
 * started, completed, updated, cancelled) rendered per reader's language and zone from
 * `kind` and the window it names, so no text is frozen in one language.
 */
export const maintenanceUpdate = pgTable(
  'maintenance_update',
  {
    id: uuid('id').primaryKey(),
    seq: bigserial('seq', { mode: 'number' }).notNull(),
    maintenanceId: uuid('maintenance_id')
      .notNull()
      .references(() => maintenance.id),
    kind: text('kind').notNull(),
    status: text('status').notNull(),
    scheduledFor: ts('scheduled_for').notNull(),
    scheduledUntil: ts('scheduled_until').notNull(),
    note: text('note'),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [
    check('maintenance_update_kind_check', sql`${t.kind} in (${inList(['scheduled', 'reminder', 'started', 'verifying', 'completed', 'updated', 'cancelled'])})`),
    index('maintenance_update_maintenance_idx').on(t.maintenanceId, t.seq),
  ],
);

/**
 * What a maintenance is called by an external target (the Atlassian Statuspage scheduled
 * incident id), so later transitions edit that incident instead of opening another.
 */
export const maintenanceExternal = pgTable(
  'maintenance_external',
  {
    maintenanceId: uuid('maintenance_id')
      .notNull()
      .references(() => maintenance.id),
    target: text('target').notNull(),
    externalId: text('external_id').notNull(),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.maintenanceId, t.target] })],
);

/**
 * A group of alerts from monitoring (Alertmanager's groupKey, Grafana's groupKey, a
 * PagerDuty incident, a generic `key`) and the incident it opened. While that incident is
 * open, further alerts of the group add to its timeline; once it is closed, the next firing
 * opens a new incident (a new row). Deliveries are deduplicated by the inbox's delivery key.
 */
export const alertGroup = pgTable(
  'alert_group',
  {
    id: uuid('id').primaryKey(),
    source: text('source').notNull(),
    groupKey: text('group_key').notNull(),
    incidentId: uuid('incident_id')
      .notNull()
      .references(() => incident.id),
    status: text('status').notNull(),
    firstReceivedAt: ts('first_received_at').notNull(),
    lastReceivedAt: ts('last_received_at').notNull(),
    // When the resolution was proposed in the channel (a person still resolves).
    resolutionProposedAt: ts('resolution_proposed_at'),
  },
  (t) => [
    check('alert_group_status_check', sql`${t.status} in ('firing', 'resolved')`),
    index('alert_group_key_idx').on(t.source, t.groupKey, t.firstReceivedAt),
    index('alert_group_incident_idx').on(t.incidentId),
  ],
);

/**
 * A REST API token (`tsuiki tokens create <name>`): only its SHA-256 is kept, the token is
 * shown once. A revoked token is refused; `last_used_at` tells which tokens are still in use.
 */
export const apiToken = pgTable('api_token', {
  id: uuid('id').primaryKey(),
  name: text('name').notNull().unique(),
  tokenHash: text('token_hash').notNull().unique(),
  createdAt: ts('created_at').notNull(),
  lastUsedAt: ts('last_used_at'),
  revokedAt: ts('revoked_at'),
});

/**
 * The first answer to a POST sent with an `Idempotency-Key`, per token: a retry with the same
 * key and body gets that answer again; the same key with another body is refused.
 */
export const apiIdempotency = pgTable(
  'api_idempotency',
  {
    tokenId: uuid('token_id')
      .notNull()
      .references(() => apiToken.id),
    key: text('key').notNull(),
    requestHash: text('request_hash').notNull(),
    // Null while the first request is still being processed.
    status: integer('status'),
    headers: jsonb('headers').$type<Record<string, string>>(),
    body: text('body'),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.tokenId, t.key] }), index('api_idempotency_created_idx').on(t.createdAt)],
);

/**
 * A single-use sign-in link to the web app, sent by the chat `web` command: only its hash
 * is kept; it is valid until `expires_at` (10 minutes) and spent by its first use.
 */
export const webSignIn = pgTable('web_sign_in', {
  tokenHash: text('token_hash').primaryKey(),
  platform: text('platform').notNull(),
  userId: text('user_id').notNull(),
  userName: text('user_name').notNull(),
  lang: text('lang').notNull(),
  timeZone: text('time_zone'),
  createdAt: ts('created_at').notNull(),
  expiresAt: ts('expires_at').notNull(),
  usedAt: ts('used_at'),
});

/**
 * A web app session: the chat user (or an administrator signed in with ADMIN_TOKEN) it acts
 * as. The cookie carries the signed id; revoking the row ends the session everywhere.
 */
export const webSession = pgTable(
  'web_session',
  {
    id: text('id').primaryKey(),
    platform: text('platform'),
    userId: text('user_id'),
    userName: text('user_name').notNull(),
    lang: text('lang').notNull(),
    timeZone: text('time_zone'),
    isAdmin: boolean('is_admin').notNull().default(false),
    csrfSecret: text('csrf_secret').notNull(),
    createdAt: ts('created_at').notNull(),
    lastSeenAt: ts('last_seen_at').notNull(),
    expiresAt: ts('expires_at').notNull(),
    revokedAt: ts('revoked_at'),
  },
  (t) => [
    check('web_session_identity_check', sql`${t.isAdmin} or (${t.platform} is not null and ${t.userId} is not null)`),
    index('web_session_user_idx').on(t.platform, t.userId),
  ],
);
