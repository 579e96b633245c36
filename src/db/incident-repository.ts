import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { IncidentHead, IncidentSnapshot, PublicUpdateView, TimelineEntry } from '../core/incident.ts';
import type { EntryKind, Impact, KeyMoment, Platform, Severity, Status, TranslationOrigin, Visibility } from '../core/model.ts';
import type { Executor } from './client.ts';
import * as t from './schema.ts';

/** Reads one incident with everything the core needs; undefined when it does not exist. */
/**
 * The whole incident. `entries: false` leaves the timeline out (`entries` is then empty): a
 * header card shows status, components, roles, actions and public updates, never the timeline,
 * which grows with every note.
 */
export async function loadSnapshot(db: Executor, incidentId: string, options: { entries?: boolean } = {}): Promise<IncidentSnapshot | undefined> {
  const [head, components, entries, actions, updates] = await Promise.all([
    loadIncidentHead(db, incidentId),
    db
      .select({
        id: t.component.id,
        name: t.component.name,
        names: t.component.names,
        impact: t.incidentComponent.impact,
        since: t.incidentComponent.since,
      })
      .from(t.incidentComponent)
      .innerJoin(t.component, eq(t.component.id, t.incidentComponent.componentId))
      .where(eq(t.incidentComponent.incidentId, incidentId))
      .orderBy(asc(t.component.position), asc(t.component.id)),
    options.entries === false
      ? Promise.resolve([] as (typeof t.timelineEntry.$inferSelect)[])
      : db
          .select()
          .from(t.timelineEntry)
          .where(eq(t.timelineEntry.incidentId, incidentId))
          .orderBy(asc(t.timelineEntry.occurredAt), asc(t.timelineEntry.seq)),
    db.select().from(t.actionItem).where(eq(t.actionItem.incidentId, incidentId)).orderBy(asc(t.actionItem.createdAt)),
    loadPublicUpdates(db, incidentId),
  ]);
  if (!head) return undefined;
  return {
    ...head,
    components: components.map((c) => ({ ...c, impact: c.impact as Impact })),
    entries: entries.map(
      (e): TimelineEntry => ({
        id: e.id,
        seq: e.seq,
        kind: e.kind as EntryKind,
        authorId: e.authorId,
        authorName: e.authorName,
        occurredAt: e.occurredAt,
        recordedAt: e.recordedAt,
        text: e.text,
        sourceLang: e.sourceLang,
        data: e.data,
      }),
    ),
    actions: actions.map((a) => ({
      id: a.id,
      text: a.text,
      ownerId: a.ownerId,
      ownerName: a.ownerName,
      done: a.done,
      createdAt: a.createdAt,
    })),
    publicUpdates: updates,
  };
}

/**
 * Reads one incident without its growing parts: a few rows whatever the length of its
 * timeline, for writes that only need to authorize and append (a busy incident's notes).
 */
export async function loadIncidentHead(db: Executor, incidentId: string): Promise<IncidentHead | undefined> {
  const [[row], roles, responders, moments] = await Promise.all([
    db.select().from(t.incident).where(eq(t.incident.id, incidentId)),
    db.select().from(t.incidentRole).where(eq(t.incidentRole.incidentId, incidentId)).orderBy(asc(t.incidentRole.assignedAt)),
    db.select({ userId: t.responder.userId }).from(t.responder).where(eq(t.responder.incidentId, incidentId)),
    db.select().from(t.keyMoment).where(eq(t.keyMoment.incidentId, incidentId)),
  ]);
  if (!row) return undefined;
  return {
    id: row.id,
    number: row.number,
    title: row.title,
    summary: row.summary,
    severity: row.severity as Severity,
    status: row.status as Status,
    visibility: row.visibility as Visibility,
    declaredBy: { id: row.declaredBy, name: row.declaredByName },
    sourceLang: row.sourceLang,
    remindMinutes: row.remindMinutes,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    upstream: (row.upstream as Record<string, unknown> | null) ?? null,
    roles: roles.map((r) => ({ role: r.role, userId: r.userId, userName: r.userName })),
    responderIds: responders.map((r) => r.userId),
    moments: Object.fromEntries(moments.map((m) => [m.kind, m.at])) as Partial<Record<KeyMoment, Date>>,
  };
}

/** Public updates of an incident, oldest first, each with its translations. */
export async function loadPublicUpdates(db: Executor, incidentId: string): Promise<PublicUpdateView[]> {
  const updates = await db
    .select()
    .from(t.publicUpdate)
    .where(eq(t.publicUpdate.incidentId, incidentId))
    .orderBy(asc(t.publicUpdate.createdAt));
  if (updates.length === 0) return [];
  const translations = await db
    .select()
    .from(t.publicUpdateTranslation)
    .where(inArray(t.publicUpdateTranslation.updateId, updates.map((u) => u.id)))
    .orderBy(asc(t.publicUpdateTranslation.lang));
  return updates.map((u) => publicUpdateView(u, translations.filter((tr) => tr.updateId === u.id)));
}

/** A public update row and its translation rows as the core reads them. */
function publicUpdateView(u: typeof t.publicUpdate.$inferSelect, translations: (typeof t.publicUpdateTranslation.$inferSelect)[]): PublicUpdateView {
  return {
    id: u.id,
    status: u.status as Status,
    body: u.body,
    sourceLang: u.sourceLang,
    state: u.state as PublicUpdateView['state'],
    authorId: u.authorId,
    createdAt: u.createdAt,
    publishedAt: u.publishedAt,
    translations: translations.map((tr) => ({ lang: tr.lang, body: tr.body, origin: tr.origin as TranslationOrigin })),
  };
}

/** One public update of the incident with its translations (a preview re-rendered without the whole incident). */
export async function loadPublicUpdate(db: Executor, incidentId: string, updateId: string): Promise<PublicUpdateView | undefined> {
  const [u] = await db
    .select()
    .from(t.publicUpdate)
    .where(and(eq(t.publicUpdate.id, updateId), eq(t.publicUpdate.incidentId, incidentId)));
  if (!u) return undefined;
  const translations = await db.select().from(t.publicUpdateTranslation).where(eq(t.publicUpdateTranslation.updateId, u.id)).orderBy(asc(t.publicUpdateTranslation.lang));
  return publicUpdateView(u, translations);
}

export async function findIncidentIdByNumber(db: Executor, number: number): Promise<string | undefined> {
  const [row] = await db.select({ id: t.incident.id }).from(t.incident).where(eq(t.incident.number, number));
  return row?.id;
}

/** The incident whose own channel this is, if any. */
export async function findIncidentIdByChannel(db: Executor, platform: Platform, channelId: string): Promise<string | undefined> {
  const [row] = await db
    .select({ incidentId: t.chatRef.incidentId })
    .from(t.chatRef)
    .where(and(eq(t.chatRef.platform, platform), eq(t.chatRef.channelId, channelId), eq(t.chatRef.purpose, 'incident')));
  return row?.incidentId ?? undefined;
}

/** Ids of incidents not yet closed, newest first. */
export async function listOpenIncidentIds(db: Executor): Promise<string[]> {
  const rows = await db
    .select({ id: t.incident.id })
    .from(t.incident)
    .where(sql`${t.incident.status} <> 'closed'`)
    .orderBy(sql`${t.incident.number} desc`);
  return rows.map((r) => r.id);
}

/** The incident's chat channel on a platform, if it has one. */
export async function findIncidentChatRef(db: Executor, incidentId: string, platform: Platform) {
  const [row] = await db
    .select()
    .from(t.chatRef)
    .where(and(eq(t.chatRef.incidentId, incidentId), eq(t.chatRef.platform, platform), eq(t.chatRef.purpose, 'incident')));
  return row;
}
