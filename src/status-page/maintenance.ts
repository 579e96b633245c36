import { and, asc, desc, eq, gte, inArray, ne, or } from 'drizzle-orm';
import ical, { ICalEventStatus } from 'ical-generator';
import type { MaintenanceNoticeKind, MaintenanceStatus } from '../core/maintenance.ts';
import type { Executor } from '../db/client.ts';
import * as t from '../db/schema.ts';
import type { I18n } from '../i18n.ts';
import { isoIn, pageId } from './json-common.ts';

/** One notice of a public maintenance, rendered per reader from its kind and the window it named. */
export interface PublicMaintenanceNotice {
  id: string;
  kind: MaintenanceNoticeKind;
  status: MaintenanceStatus;
  scheduledFor: Date;
  scheduledUntil: Date;
  note: string | null;
  createdAt: Date;
}

/** A public maintenance as the page, the JSON API and the calendar show it. */
export interface PublicMaintenance {
  id: string;
  number: number;
  title: string;
  description: string | null;
  status: Exclude<MaintenanceStatus, 'cancelled'>;
  components: string[];
  scheduledFor: Date;
  scheduledUntil: Date;
  startedAt: Date | null;
  completedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  /** Newest first. */
  notices: PublicMaintenanceNotice[];
}

/** Public, not cancelled maintenances still ahead, under way, or completed within the page's 90-day history. */
export async function loadMaintenances(db: Executor, now: Date): Promise<PublicMaintenance[]> {
  const horizon = new Date(now.getTime() - 91 * 86_400_000);
  const rows = await db
    .select()
    .from(t.maintenance)
    .where(
      and(
        eq(t.maintenance.visibility, 'public'),
        ne(t.maintenance.status, 'cancelled'),
        or(ne(t.maintenance.status, 'completed'), gte(t.maintenance.scheduledUntil, horizon)),
      ),
    )
    .orderBy(desc(t.maintenance.scheduledFor), desc(t.maintenance.number));
  return withNotices(db, rows);
}

/**
 * One public maintenance by id, cancelled or not (subscriber notices and the Statuspage
 * target still speak of a cancelled window): `cancelled` says so, and its status reads as
 * the last it had on the page.
 */
export async function loadPublicMaintenance(db: Executor, id: string): Promise<{ maintenance: PublicMaintenance; cancelled: boolean } | undefined> {
  const rows = await db.select().from(t.maintenance).where(and(eq(t.maintenance.id, id), eq(t.maintenance.visibility, 'public')));
  const [m] = await withNotices(db, rows);
  if (!m) return undefined;
  const cancelled = rows[0]!.status === 'cancelled';
  if (cancelled) m.status = (m.notices.find((n) => n.status !== 'cancelled')?.status ?? 'scheduled') as PublicMaintenance['status'];
  return { maintenance: m, cancelled };
}

async function withNotices(db: Executor, rows: (typeof t.maintenance.$inferSelect)[]): Promise<PublicMaintenance[]> {
  const ids = rows.map((m) => m.id);
  const notices = ids.length
    ? await db.select().from(t.maintenanceUpdate).where(inArray(t.maintenanceUpdate.maintenanceId, ids)).orderBy(desc(t.maintenanceUpdate.seq))
    : [];
  return rows.map((m) => ({
    id: m.id,
    number: m.number,
    title: m.title,
    description: m.description,
    status: m.status as PublicMaintenance['status'],
    components: m.components,
    scheduledFor: m.scheduledFor,
    scheduledUntil: m.scheduledUntil,
    startedAt: m.startedAt,
    completedAt: m.completedAt,
    createdAt: m.createdAt,
    updatedAt: m.updatedAt,
    notices: notices
      .filter((n) => n.maintenanceId === m.id)
      .map((n) => ({
        id: n.id,
        kind: n.kind as MaintenanceNoticeKind,
        status: n.status as MaintenanceStatus,
        scheduledFor: n.scheduledFor,
        scheduledUntil: n.scheduledUntil,
        note: n.note,
        createdAt: n.createdAt,
      })),
  }));
}

/** The components' names the JSON and calendar show, by id. */
export async function loadComponentNames(db: Executor): Promise<Map<string, { name: string; names: Record<string, string>; position: number; createdAt: Date }>> {
  const rows = await db.select().from(t.component).orderBy(asc(t.component.position), asc(t.component.id));
  return new Map(rows.map((c) => [c.id, c]));
}

/** What a notice says, in the reader's language, its times in the reader's zone; a person's note follows the generated sentence. */
export function renderMaintenanceNotice(
  i18n: I18n,
  lang: string,
  zone: string,
  m: Pick<PublicMaintenance, 'title'>,
  notice: Pick<PublicMaintenanceNotice, 'kind' | 'scheduledFor' | 'scheduledUntil' | 'note'>,
): string {
  const tr = i18n.t(lang);
  const sentence = tr(`public:maintenance.notice.${notice.kind}`, {
    title: m.title,
    start: i18n.formatDateTime(notice.scheduledFor, lang, zone),
    end: i18n.formatDateTime(notice.scheduledUntil, lang, zone),
    interpolation: { escapeValue: false },
  });
  return notice.note ? `${sentence}\n\n${notice.note}` : sentence;
}

/** What the Statuspage-v2 JSON needs besides the data. */
export interface MaintenanceJsonContext {
  i18n: I18n;
  lang: string;
  timeZone: string;
  publicUrl: string;
  components: ReadonlyMap<string, { name: string; names: Record<string, string>; position: number; createdAt: Date }>;
}

/** One maintenance as Statuspage's public v2 API writes a scheduled maintenance (an incident with `scheduled_*`), times with the reader's offset. */
export function maintenanceJson(m: PublicMaintenance, ctx: MaintenanceJsonContext) {
  const page = pageId(ctx.publicUrl);
  const iso = isoIn(ctx.timeZone);
  return {
    id: m.id,
    name: m.title,
    status: m.status,
    created_at: iso(m.createdAt),
    updated_at: iso(m.updatedAt),
    monitoring_at: null,
    resolved_at: iso(m.status === 'completed' ? m.completedAt : null),
    impact: 'maintenance',
    shortlink: `${ctx.publicUrl}/status/maintenance/${m.id}`,
    started_at: iso(m.startedAt ?? m.createdAt),
    page_id: page,
    incident_updates: m.notices.map((n) => ({
      id: n.id,
      status: n.status === 'cancelled' ? 'completed' : n.status,
      body: renderMaintenanceNotice(ctx.i18n, ctx.lang, ctx.timeZone, m, n),
      incident_id: m.id,
      created_at: iso(n.createdAt),
      updated_at: iso(n.createdAt),
      display_at: iso(n.createdAt),
      affected_components: null,
      deliver_notifications: true,
      custom_tweet: null,
      tweet_id: null,
    })),
    components: m.components.flatMap((id) => {
      const c = ctx.components.get(id);
      if (!c) return [];
      return [
        {
          id,
          name: c.names[ctx.lang] ?? c.name,
          status: m.status === 'in_progress' ? 'under_maintenance' : 'operational',
          created_at: iso(c.createdAt),
          updated_at: iso(m.updatedAt),
          position: c.position,
          description: null,
          showcase: true,
          start_date: null,
          group_id: null,
          page_id: page,
          group: false,
          only_show_if_degraded: false,
        },
      ];
    }),
    scheduled_for: iso(m.scheduledFor),
    scheduled_until: iso(m.scheduledUntil),
  };
}

/** Statuspage: upcoming = still `scheduled`; active = `in_progress` or `verifying`. */
export const isUpcoming = (m: PublicMaintenance) => m.status === 'scheduled';
export const isActive = (m: PublicMaintenance) => m.status === 'in_progress' || m.status === 'verifying';

/** Which maintenances each of Statuspage's three maintenance documents lists (`all`: the 50 most recent). */
export const MAINTENANCE_DOCUMENTS = {
  'scheduled-maintenances.json': (all: PublicMaintenance[]) => all.slice(0, 50),
  'scheduled-maintenances/upcoming.json': (all: PublicMaintenance[]) => all.filter(isUpcoming),
  'scheduled-maintenances/active.json': (all: PublicMaintenance[]) => all.filter(isActive),
} as const;

/** The maintenances `summary.json` lists: upcoming or in progress, soonest first. */
export function summaryMaintenances(all: PublicMaintenance[]): PublicMaintenance[] {
  return all.filter((m) => isUpcoming(m) || isActive(m)).sort((a, b) => a.scheduledFor.getTime() - b.scheduledFor.getTime());
}

/**
 * The maintenances as an iCalendar feed in one language: one event per window, its UID
 * stable across renders so calendar apps update the event when the window moves.
 */
export function renderMaintenanceCalendar(all: PublicMaintenance[], ctx: MaintenanceJsonContext & { now: Date }): string {
  const tr = ctx.i18n.t(ctx.lang);
  const host = new URL(ctx.publicUrl).host;
  const calendar = ical({ name: tr('public:maintenance.calendarName'), prodId: { company: 'tsuiki', product: 'status', language: ctx.lang.toUpperCase() }, timezone: 'UTC' });
  for (const m of all) {
    const names = m.components.map((id) => {
      const c = ctx.components.get(id);
      return c ? (c.names[ctx.lang] ?? c.name) : id;
    });
    const lines = [m.description ?? '', names.length ? tr('public:maintenance.componentsLine', { components: names.join(', '), interpolation: { escapeValue: false } }) : '']
      .filter(Boolean);
    calendar.createEvent({
      id: `maintenance-${m.id}@${host}`,
      start: m.scheduledFor,
      end: m.scheduledUntil,
      stamp: m.updatedAt,
      lastModified: m.updatedAt,
      created: m.createdAt,
      summary: m.title,
      description: lines.join('\n\n') || null,
      url: `${ctx.publicUrl}/status?lang=${encodeURIComponent(ctx.lang)}`,
      status: ICalEventStatus.CONFIRMED,
    });
  }
  return calendar.toString();
}
