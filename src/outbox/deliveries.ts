import { and, asc, eq, inArray, isNotNull, type SQL, sql } from 'drizzle-orm';
import type { Db, Executor } from '../db/client.ts';
import { rowsOf } from '../db/client.ts';
import * as t from '../db/schema.ts';
import { PROCESS_WORKER_ID } from './liveness.ts';
import { announceWork } from './wakeup.ts';
import type { DeliveryItem, PublishedUpdate, Recipient, TargetName } from '../publish/channel.ts';

/** `update:<updateId>:<target>:<subscriberId|->` — the same delivery always gets the same key. */
export function deliveryKey(updateId: string, target: TargetName, subscriberId?: string): string {
  return `update:${updateId}:${target}:${subscriberId ?? '-'}`;
}

/** `<key>:translated:<lang>` — the follow-up that carries a language's translation after its source-language delivery. */
export function followUpKey(deliveryKey: string, lang: string): string {
  return `${deliveryKey}:translated:${lang}`;
}

/** The language a follow-up key carries, or undefined for an update's own delivery. */
export function followUpLangOf(idempotencyKey: string): string | undefined {
  return /:translated:([^:]+)$/.exec(idempotencyKey)?.[1];
}

/** Why a parked follow-up is not sent yet: its language has no translation. Released by {@link releaseTranslatedDeliveries}. */
export const AWAITING_TRANSLATION = 'awaiting translation';

/** The language a subscriber reads: theirs when configured, else the first configured one (as the targets render). */
const readerLang = (column: SQL, locales: readonly string[]) =>
  sql`(case when ${column} = any(${sqlTextArray(locales)}) then ${column} else ${locales[0] ?? ''} end)`;

const sqlTextArray = (values: readonly string[]) =>
  values.length === 0 ? sql`array[]::text[]` : sql`array[${sql.join(values.map((v) => sql`${v}`), sql`, `)}]::text[]`;

/** Which configured languages a public update is still missing, and until when its deliveries wait for them. */
export interface TranslationWait {
  /** Configured languages without a translation when the update was published. */
  missing: readonly string[];
  /** Every configured language, the first being the team's (announcement, Statuspage). */
  locales: readonly string[];
  /** When waiting deliveries go out anyway, in the source language under a notice. */
  until: Date;
}

/**
 * Writes one pending delivery per target × subscriber for a just-published update, in the
 * publishing transaction (the outbox): the update and its deliveries commit together.
 * Confirmed subscribers only; a subscriber with a component filter gets the update when the
 * incident touches one of its components (an incident naming no component reaches all).
 * Statuspage and the announcement channels get one delivery each; the worker skips a
 * target that is not configured. Idempotent: the keys are unique.
 *
 * A delivery whose language is still untranslated (`wait.missing`) is written due at
 * `wait.until` instead of now — the head of its lane, so later updates queue behind it and
 * order holds — and is made due at once when the translation arrives. Webhooks carry every
 * language and wait for all of them; Statuspage and the announcement read the first configured one.
 */
export async function enqueueUpdateDeliveries(
  tx: Executor,
  input: { updateId: string; incidentId: string; componentIds: readonly string[]; now: Date; wait?: TranslationWait },
): Promise<void> {
  const { updateId, incidentId, now, wait } = input;
  const at = now.toISOString();
  const filter =
    input.componentIds.length === 0
      ? sql`true`
      : sql`(cardinality(s.components) = 0 or s.components && array[${sql.join(
          input.componentIds.map((c) => sql`${c}`),
          sql`, `,
        )}]::text[])`;
  const waiting = wait && wait.missing.length > 0 ? wait : undefined;
  const dueAt = waiting
    ? sql`(case when s.kind = 'webhook' or ${readerLang(sql`s.lang`, waiting.locales)} = any(${sqlTextArray(waiting.missing)}) then ${waiting.until.toISOString()}::timestamptz end)`
    : sql`null::timestamptz`;
  await tx.execute(sql`
    insert into delivery (id, idempotency_key, update_id, incident_id, target, subscriber_id, state, attempts, next_attempt_at, created_at)
    select gen_random_uuid(),
           'update:' || ${updateId} || ':' || (case s.kind when 'email' then 'email' when 'webhook' then 'webhook' else 'chat' end) || ':' || s.id::text,
           ${updateId}::uuid, ${incidentId}::uuid,
           case s.kind when 'email' then 'email' when 'webhook' then 'webhook' else 'chat' end,
           s.id, 'pending', 0, ${dueAt}, ${at}::timestamptz
    from subscriber s
    where s.confirmed and ${filter}
    on conflict (idempotency_key) do nothing`);
  const singles: TargetName[] = ['statuspage', 'announce'];
  const teamLangMissing = waiting !== undefined && waiting.missing.includes(waiting.locales[0] ?? '');
  await tx
    .insert(t.delivery)
    .values(
      singles.map((target) => ({
        id: crypto.randomUUID(),
        idempotencyKey: deliveryKey(updateId, target),
        updateId,
        incidentId,
        target,
        state: 'pending',
        nextAttemptAt: teamLangMissing ? waiting.until : null,
        createdAt: now,
      })),
    )
    .onConflictDoNothing();
  // Every process's delivery worker starts at once, not at its next poll.
  await announceWork(tx, 'delivery');
}

/**
 * A translation arrived (machine or a person's) while deliveries waited for it: in the
 * transaction that wrote it, which holds the update's row lock, makes due at once
 * - the update's untried deliveries whose language is now present (webhooks once every
 *   configured language is), and
 * - the parked follow-ups of deliveries that already went out in the source language,
 *   placed at the end of their lane (`created_at` now), so they follow what is queued.
 * `present` is every language the update has now.
 */
export async function releaseTranslatedDeliveries(
  tx: Executor,
  input: { updateId: string; present: readonly string[]; locales: readonly string[]; now: Date },
): Promise<void> {
  const { updateId, present, locales } = input;
  const at = input.now.toISOString();
  const all = locales.every((l) => present.includes(l));
  const teamLang = present.includes(locales[0] ?? '');
  await tx.execute(sql`
    update delivery d set next_attempt_at = null
    where d.update_id = ${updateId}::uuid and d.state = 'pending' and d.attempts = 0 and d.next_attempt_at is not null
      and (
        (d.subscriber_id is null and ${teamLang})
        or exists (select 1 from subscriber s where s.id = d.subscriber_id
                   and (case when s.kind = 'webhook' then ${all} else ${readerLang(sql`s.lang`, locales)} = any(${sqlTextArray(present)}) end)))`);
  await tx.execute(sql`
    update delivery set state = 'pending', last_error = null, next_attempt_at = null, created_at = ${at}::timestamptz
    where update_id = ${updateId}::uuid and state = 'skipped' and last_error = ${AWAITING_TRANSLATION}
      and substring(idempotency_key from ':translated:([^:]+)$') = any(${sqlTextArray(present)})`);
  await announceWork(tx, 'delivery');
}

/** A claimed delivery row. */
export interface ClaimedDelivery {
  id: string;
  idempotencyKey: string;
  updateId: string;
  incidentId: string;
  target: TargetName;
  subscriberId: string | null;
  attempts: number;
  /** Set on a follow-up: the language whose translation it carries. */
  followUpLang?: string;
}

/**
 * Claims up to `limit` due deliveries (of one target, when given) for `leaseMs`. Only the oldest open delivery of each
 * lane (incident × target × subscriber) is eligible, so a later update never overtakes an
 * earlier one at the same target; `FOR UPDATE SKIP LOCKED` lets several processes claim
 * side by side without waiting or taking the same row. A claim records this process as
 * `claimed_by` and pushes `next_attempt_at` to the end of the lease: a worker killed
 * mid-delivery has its claims released by the next liveness reap (seconds), and the lease
 * is the backstop.
 */
export async function claimDeliveries(db: Db, now: Date, leaseMs: number, limit: number, target?: TargetName): Promise<ClaimedDelivery[]> {
  const at = now.toISOString();
  const until = new Date(now.getTime() + leaseMs).toISOString();
  const result = await db.execute(sql`
    update delivery set next_attempt_at = ${until}::timestamptz, attempts = attempts + 1, claimed_by = ${PROCESS_WORKER_ID}::uuid
    where id in (
      select d.id from delivery d
      where d.id in (
        -- The head of each lane (incident × target × subscriber): only the oldest open
        -- delivery may go, so a later update never overtakes an earlier one. DISTINCT ON
        -- reads each lane once along delivery_lane_idx (NULL subscribers group together),
        -- where a per-row NOT EXISTS rescanned the lane for every row: quadratic in a fan-out.
        select distinct on (h.incident_id, h.target, h.subscriber_id) h.id
        from delivery h
        where h.state in ('pending', 'failed')${target ? sql` and h.target = ${target}` : sql``}
        order by h.incident_id, h.target, h.subscriber_id, h.created_at, h.id)
        -- Checked again on the row itself: FOR UPDATE re-reads a row another worker changed
        -- meanwhile against these conditions only, so a delivery recorded since this query's
        -- snapshot is skipped here instead of sent a second time.
        and d.state in ('pending', 'failed')
        and (d.next_attempt_at is null or d.next_attempt_at <= ${at}::timestamptz)
      order by d.created_at, d.id
      limit ${limit}
      for update skip locked)
    returning id, idempotency_key, update_id, incident_id, target, subscriber_id, attempts`);
  return rowsOf<Record<string, unknown>>(result).map((r) => {
    const followUpLang = followUpLangOf(String(r.idempotency_key));
    return {
      id: String(r.id),
      idempotencyKey: String(r.idempotency_key),
      updateId: String(r.update_id),
      incidentId: String(r.incident_id),
      target: String(r.target) as TargetName,
      subscriberId: r.subscriber_id == null ? null : String(r.subscriber_id),
      attempts: Number(r.attempts),
      ...(followUpLang ? { followUpLang } : {}),
    };
  });
}

/** Loads a published update with what every target renders. */
export async function loadPublishedUpdate(db: Db, updateId: string): Promise<PublishedUpdate | undefined> {
  const [row] = await db
    .select({ update: t.publicUpdate, number: t.incident.number, title: t.incident.title })
    .from(t.publicUpdate)
    .innerJoin(t.incident, eq(t.incident.id, t.publicUpdate.incidentId))
    .where(eq(t.publicUpdate.id, updateId));
  if (!row?.update.publishedAt) return undefined;
  const translations = await db.select().from(t.publicUpdateTranslation).where(eq(t.publicUpdateTranslation.updateId, updateId));
  const components = await db
    .select({ component: t.component, impact: t.incidentComponent.impact })
    .from(t.incidentComponent)
    .innerJoin(t.component, eq(t.component.id, t.incidentComponent.componentId))
    .where(eq(t.incidentComponent.incidentId, row.update.incidentId))
    .orderBy(asc(t.component.position), asc(t.component.id));
  const [first] = await db
    .select({ id: t.publicUpdate.id })
    .from(t.publicUpdate)
    .where(and(eq(t.publicUpdate.incidentId, row.update.incidentId), isNotNull(t.publicUpdate.publishedAt)))
    .orderBy(asc(t.publicUpdate.publishedAt), asc(t.publicUpdate.id))
    .limit(1);
  const bodies: Record<string, string> = { [row.update.sourceLang]: row.update.body };
  for (const tr of translations) bodies[tr.lang] = tr.body;
  return {
    id: row.update.id,
    incidentId: row.update.incidentId,
    incidentNumber: row.number,
    incidentTitle: row.title,
    status: row.update.status as PublishedUpdate['status'],
    publishedAt: row.update.publishedAt,
    sourceLang: row.update.sourceLang,
    bodies,
    components: components.map((c) => ({
      id: c.component.id,
      name: c.component.name,
      names: c.component.names,
      statuspageId: c.component.statuspageId,
      impact: c.impact as PublishedUpdate['components'][number]['impact'],
    })),
    firstUpdateId: first?.id ?? row.update.id,
  };
}

/** Subscribers by id; an unsubscribed (unconfirmed) one is left out, so its deliveries are skipped. */
export async function loadRecipients(db: Db, ids: string[]): Promise<Map<string, Recipient>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .select()
    .from(t.subscriber)
    .where(and(inArray(t.subscriber.id, ids), eq(t.subscriber.confirmed, true)));
  return new Map(
    rows.map((s) => [
      s.id,
      { id: s.id, kind: s.kind, address: s.address, lang: s.lang, timeZone: s.timeZone, secret: s.secret, unsubscribeToken: s.unsubscribeToken },
    ]),
  );
}

/** The outcome of one attempt, recorded only while the row is still open (a late duplicate changes nothing). */
export type AttemptOutcome =
  /** `untranslated`: languages it went out without (source text under the notice); a follow-up is parked for each. */
  | { state: 'delivered'; untranslated?: readonly string[] }
  | { state: 'skipped'; reason: string }
  | { state: 'dead'; error: string }
  | { state: 'failed'; error: string; retryAt: Date };

/**
 * Records outcomes while their rows are still open (a late duplicate changes nothing):
 * one statement for every `delivered` of the batch and one per skip reason, one per
 * retry or dead letter (each with its own time and error). Returns the ids recorded.
 */
export async function recordOutcomes(db: Db, outcomes: ReadonlyArray<{ id: string; outcome: AttemptOutcome }>, now: Date): Promise<Set<string>> {
  const recorded = new Set<string>();
  const groups = new Map<string, { set: Partial<typeof t.delivery.$inferInsert>; ids: string[] }>();
  const untranslated = outcomes.filter(({ outcome }) => outcome.state === 'delivered' && (outcome.untranslated?.length ?? 0) > 0);
  if (untranslated.length > 0) for (const id of await recordUntranslated(db, untranslated, now)) recorded.add(id);
  for (const { id, outcome } of outcomes) {
    if (outcome.state === 'delivered' && (outcome.untranslated?.length ?? 0) > 0) continue;
    const key = outcome.state === 'delivered' ? 'delivered' : outcome.state === 'skipped' ? `skipped:${outcome.reason}` : `${outcome.state}:${id}`;
    const group = groups.get(key) ?? { set: outcomeColumns(outcome, now), ids: [] };
    group.ids.push(id);
    groups.set(key, group);
  }
  for (const { set, ids } of groups.values()) {
    const rows = await db
      .update(t.delivery)
      .set(set)
      .where(and(inArray(t.delivery.id, ids), inArray(t.delivery.state, ['pending', 'failed'])))
      .returning({ id: t.delivery.id });
    for (const r of rows) recorded.add(r.id);
  }
  return recorded;
}

/**
 * Deliveries that went out in the source language: recorded delivered together with one
 * follow-up per missing language, in one transaction that holds the updates' rows `FOR
 * SHARE`. A translation is written under the row's `FOR UPDATE` (translate-public-update.ts),
 * so either it committed first and the follow-up is written due at once, or it waits for
 * this commit and then releases the parked follow-up: none is left behind by a race.
 */
async function recordUntranslated(db: Db, outcomes: ReadonlyArray<{ id: string; outcome: AttemptOutcome }>, now: Date): Promise<string[]> {
  const ids = outcomes.map((o) => o.id);
  const at = now.toISOString();
  return db.transaction(async (tx) => {
    await tx.execute(sql`select p.id from public_update p where p.id in (select d.update_id from delivery d where d.id in ${idList(ids)}) order by p.id for share of p`);
    const rows = await tx
      .update(t.delivery)
      .set(outcomeColumns({ state: 'delivered' }, now))
      .where(and(inArray(t.delivery.id, ids), inArray(t.delivery.state, ['pending', 'failed'])))
      .returning({ id: t.delivery.id });
    const done = new Set(rows.map((r) => r.id));
    const byLang = new Map<string, string[]>();
    for (const { id, outcome } of outcomes) {
      if (!done.has(id) || outcome.state !== 'delivered') continue;
      for (const lang of outcome.untranslated ?? []) byLang.set(lang, [...(byLang.get(lang) ?? []), id]);
    }
    for (const [lang, langIds] of byLang) {
      const present = sql`exists (select 1 from public_update_translation tr where tr.update_id = d.update_id and tr.lang = ${lang})`;
      await tx.execute(sql`
        insert into delivery (id, idempotency_key, update_id, incident_id, target, subscriber_id, state, attempts, last_error, created_at)
        select gen_random_uuid(), d.idempotency_key || ${`:translated:${lang}`}, d.update_id, d.incident_id, d.target, d.subscriber_id,
               case when ${present} then 'pending' else 'skipped' end, 0,
               case when ${present} then null else ${AWAITING_TRANSLATION} end, ${at}::timestamptz
        from delivery d where d.id in ${idList(langIds)}
        on conflict (idempotency_key) do nothing`);
    }
    return [...done];
  });
}

const idList = (ids: readonly string[]) => sql`(${sql.join(ids.map((id) => sql`${id}::uuid`), sql`, `)})`;

export async function recordOutcome(db: Db, deliveryId: string, outcome: AttemptOutcome, now: Date): Promise<boolean> {
  return (await recordOutcomes(db, [{ id: deliveryId, outcome }], now)).has(deliveryId);
}

function outcomeColumns(outcome: AttemptOutcome, now: Date): Partial<typeof t.delivery.$inferInsert> {
  switch (outcome.state) {
    case 'delivered':
      return { state: 'delivered', deliveredAt: now, nextAttemptAt: null, lastError: null, claimedBy: null };
    case 'skipped':
      return { state: 'skipped', nextAttemptAt: null, lastError: outcome.reason, claimedBy: null };
    case 'dead':
      return { state: 'dead', nextAttemptAt: null, lastError: outcome.error, claimedBy: null };
    case 'failed':
      return { state: 'failed', nextAttemptAt: outcome.retryAt, lastError: outcome.error, claimedBy: null };
  }
}

/** Builds the item a channel receives. */
export function toItem(claimed: ClaimedDelivery, update: PublishedUpdate, recipient?: Recipient): DeliveryItem {
  return {
    deliveryId: claimed.id,
    idempotencyKey: claimed.idempotencyKey,
    target: claimed.target,
    attempt: claimed.attempts,
    update,
    ...(recipient ? { recipient } : {}),
    ...(claimed.followUpLang ? { followUp: { lang: claimed.followUpLang } } : {}),
  };
}
