import { eq, sql } from 'drizzle-orm';
import type { TimelineEntry } from '../core/incident.ts';
import type { Actor, EntryKind, KeyMoment, Status } from '../core/model.ts';
import { deriveStatus } from '../core/timeline.ts';
import type { Tx } from '../db/client.ts';
import * as t from '../db/schema.ts';
import type { AppContext } from './context.ts';
import { DomainError } from '../core/errors.ts';
import { FUTURE_TOLERANCE_MS } from '../core/time.ts';

/**
 * When something happened, as the user said it: a time slightly ahead of the server is
 * clock skew and means "now" (clamped, so it cannot outrank a later entry); further
 * ahead is an error.
 */
export function occurredAt(at: Date | undefined, now: Date, verb: string): Date {
  if (!at) return now;
  if (at.getTime() > now.getTime() + FUTURE_TOLERANCE_MS) throw new DomainError('future_time', { at: at.toISOString() }, verb);
  return at.getTime() > now.getTime() ? now : at;
}

export interface NewEntry {
  kind: EntryKind;
  actor: Pick<Actor, 'id' | 'name'>;
  occurredAt: Date;
  recordedAt: Date;
  text?: string | null;
  sourceLang?: string | null;
  data?: Record<string, unknown>;
}

/** Appends one timeline entry; entries are never updated or deleted. */
export async function appendEntry(tx: Tx, ctx: AppContext, incidentId: string, entry: NewEntry): Promise<string> {
  const id = ctx.newId();
  await tx.insert(t.timelineEntry).values({
    id,
    incidentId,
    kind: entry.kind,
    authorId: entry.actor.id,
    authorName: entry.actor.name,
    occurredAt: entry.occurredAt,
    recordedAt: entry.recordedAt,
    text: entry.text ?? null,
    sourceLang: entry.sourceLang ?? null,
    data: entry.data ?? {},
  });
  return id;
}

/** Sets (or moves) a key moment; the latest value wins, the history stays in the timeline. */
export async function setMoment(
  tx: Tx,
  incidentId: string,
  kind: KeyMoment,
  at: Date,
  actorId: string,
  now: Date,
  options: { keepEarliest?: boolean } = {},
): Promise<void> {
  await tx
    .insert(t.keyMoment)
    .values({ incidentId, kind, at, setBy: actorId, recordedAt: now })
    .onConflictDoUpdate({
      target: [t.keyMoment.incidentId, t.keyMoment.kind],
      set: { at, setBy: actorId, recordedAt: now },
      ...(options.keepEarliest ? { setWhere: sql`${t.keyMoment.at} > excluded.at` } : {}),
    });
}

/** Records that the actor took part, which makes a private incident visible to them. */
export async function addResponder(tx: Tx, incidentId: string, actor: Pick<Actor, 'id' | 'name'>, now: Date): Promise<void> {
  await tx
    .insert(t.responder)
    .values({ incidentId, userId: actor.id, userName: actor.name, since: now })
    .onConflictDoNothing();
}

/**
 * Recomputes the cached status column from the timeline and returns it; the only writer
 * of incident.status, so the column always equals deriveStatus(entries).
 */
export async function refreshStatus(tx: Tx, incidentId: string, now: Date): Promise<Status> {
  const rows = await tx
    .select({
      id: t.timelineEntry.id,
      seq: t.timelineEntry.seq,
      kind: t.timelineEntry.kind,
      occurredAt: t.timelineEntry.occurredAt,
      data: t.timelineEntry.data,
    })
    .from(t.timelineEntry)
    .where(eq(t.timelineEntry.incidentId, incidentId));
  const status = deriveStatus(rows as unknown as TimelineEntry[]);
  await tx.update(t.incident).set({ status, updatedAt: now }).where(eq(t.incident.id, incidentId));
  return status;
}

/** Marks the incident changed, so caches and headers know to refresh. */
export async function touchIncident(tx: Tx, incidentId: string, now: Date): Promise<void> {
  await tx.update(t.incident).set({ updatedAt: now }).where(eq(t.incident.id, incidentId));
}
