import { and, asc, eq, inArray, isNotNull, sql } from 'drizzle-orm';
import type { Db, Executor } from '../db/client.ts';
import { rowsOf } from '../db/client.ts';
import * as t from '../db/schema.ts';
import { PROCESS_WORKER_ID } from './liveness.ts';
import type { DeliveryItem, PublishedUpdate, Recipient, TargetName } from '../publish/channel.ts';

/** `update:<updateId>:<target>:<subscriberId|->` — the same delivery always gets the same key. */
export function deliveryKey(updateId: string, target: TargetName, subscriberId?: string): string {
  return `update:${updateId}:${target}:${subscriberId ?? '-'}`;
}

/**
 * Writes one pending delivery per target × subscriber for a just-published update, in the
 * publishing transaction (the outbox): the update and its deliveries commit together.
 * Confirmed subscribers only; a subscriber with a component filter gets the update when the
 * incident touches one of its components (an incident naming no component reaches all).
 * Statuspage and the announcement channels get one delivery each; the worker skips a
 * target that is not configured. Idempotent: the keys are unique.
 */
export async function enqueueUpdateDeliveries(
  tx: Executor,
  input: { updateId: string; incidentId: string; componentIds: readonly string[]; now: Date },
): Promise<void> {
  const { updateId, incidentId, now } = input;
  const at = now.toISOString();
  const filter =
    input.componentIds.length === 0
      ? sql`true`
      : sql`(cardinality(s.components) = 0 or s.components && array[${sql.join(
          input.componentIds.map((c) => sql`${c}`),
          sql`, `,
        )}]::text[])`;
  await tx.execute(sql`
    insert into delivery (id, idempotency_key, update_id, incident_id, target, subscriber_id, state, attempts, created_at)
    select gen_random_uuid(),
           'update:' || ${updateId} || ':' || (case s.kind when 'email' then 'email' when 'webhook' then 'webhook' else 'chat' end) || ':' || s.id::text,
           ${updateId}::uuid, ${incidentId}::uuid,
           case s.kind when 'email' then 'email' when 'webhook' then 'webhook' else 'chat' end,
           s.id, 'pending', 0, ${at}::timestamptz
    from subscriber s
    where s.confirmed and ${filter}
    on conflict (idempotency_key) do nothing`);
  const singles: TargetName[] = ['statuspage', 'announce'];
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
        createdAt: now,
      })),
    )
    .onConflictDoNothing();
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
  return rowsOf<Record<string, unknown>>(result).map((r) => ({
    id: String(r.id),
    idempotencyKey: String(r.idempotency_key),
    updateId: String(r.update_id),
    incidentId: String(r.incident_id),
    target: String(r.target) as TargetName,
    subscriberId: r.subscriber_id == null ? null : String(r.subscriber_id),
    attempts: Number(r.attempts),
  }));
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
  | { state: 'delivered' }
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
  for (const { id, outcome } of outcomes) {
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
  };
}
