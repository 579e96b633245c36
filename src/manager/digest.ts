import type { RenderContext } from '../chat/render.ts';
import { teamRenderContext } from '../chat/incident-channel.ts';
import { and, eq, inArray, isNull, ne, or, sql } from 'drizzle-orm';
import { Cron } from 'croner';
import type { AppContext } from '../app/context.ts';
import type { NeutralMessage } from '../chat/message.ts';
import type { ChatPlatform } from '../chat/platform.ts';
import { componentName, type IncidentSnapshot, lastPublicUpdate } from '../core/incident.ts';
import { formatIncidentRef } from '../core/model.ts';
import { impactDuration, nextUpdateDue } from '../core/timeline.ts';
import { listOpenIncidentIds, loadSnapshot } from '../db/incident-repository.ts';
import * as t from '../db/schema.ts';
import type { I18n } from '../i18n.ts';
import { z } from 'zod';
import { defineJob, enqueueJob } from '../outbox/job-runner.ts';

/** Weekdays at 09:00 in the team's zone (PRODUCT.md). */
export const DEFAULT_DIGEST_CRON = '0 9 * * 1-5';
/** The daily digest: one job, re-armed at the next cron time by its handler. */
export const DIGEST_JOB = defineJob({ name: 'manager.digest', version: 1, payload: z.object({}) });
const DIGEST_KEY = 'manager:digest';
/** A SEV1/SEV2 first seen older than this is recorded silently rather than announced (a fresh deployment). */
const STATUS_NEWS_MS = 60 * 60_000;

/** How a digest renders: the team's language and zone. */
export type DigestContext = RenderContext;

/** The lines describing one incident for managers: status, duration, impact, public updates. */
export function digestLines(dc: DigestContext, incident: IncidentSnapshot): string[] {
  const tr = dc.i18n.t(dc.lang);
  const when = (at: Date) => dc.i18n.formatDateTime(at, dc.lang, dc.zone);
  const lines = [
    tr('manager:digest.item', {
      ref: formatIncidentRef(incident.number),
      severity: tr(`common:severity.${incident.severity}`),
      status: tr(`common:status.${incident.status}`),
      title: incident.title,
      duration: dc.i18n.formatDuration(impactDuration(incident, dc.now), dc.lang),
    }),
  ];
  const details: string[] = [];
  if (incident.components.length > 0) {
    const components = incident.components.map((c) => `${componentName(c, dc.lang)} (${tr(`common:impact.${c.impact}`)})`);
    details.push(tr('manager:digest.components', { components: dc.i18n.formatList(components, dc.lang) }));
  }
  const last = lastPublicUpdate(incident);
  details.push(last?.publishedAt ? tr('manager:digest.lastUpdate', { time: when(last.publishedAt) }) : tr('manager:digest.noUpdate'));
  const due = nextUpdateDue(incident, dc.defaultReminderMinutes);
  if (due) details.push(tr(due < dc.now ? 'manager:digest.overdue' : 'manager:digest.nextUpdate', { time: when(due) }));
  const vendor = typeof incident.upstream?.vendor === 'string' ? incident.upstream.vendor : undefined;
  if (vendor) details.push(tr('manager:digest.upstream', { vendor }));
  lines.push(`  ${details.join(' · ')}`);
  return lines;
}

/** The digest of open incidents. Private incidents are left out: the incidents channel is wider than their responders. */
export function renderDigest(dc: DigestContext, incidents: readonly IncidentSnapshot[]): NeutralMessage {
  const tr = dc.i18n.t(dc.lang);
  const time = dc.i18n.formatDateTime(dc.now, dc.lang, dc.zone);
  const shown = incidents.filter((i) => i.visibility === 'public');
  if (shown.length === 0) {
    const line = tr('manager:digest.none', { time });
    return { text: line, lines: [line] };
  }
  const title = tr('manager:digest.title', { time });
  return { text: title, title, lines: shown.flatMap((i) => digestLines(dc, i)) };
}

export function digestContext(app: AppContext, i18n: I18n): DigestContext {
  return teamRenderContext(app, i18n);
}

/** Posts the digest of open public incidents in the incidents channel. */
export async function postDigest(app: AppContext, i18n: I18n, platform: Pick<ChatPlatform, 'announce'>): Promise<NeutralMessage> {
  const ids = await listOpenIncidentIds(app.db);
  const incidents = (await Promise.all(ids.map((id) => loadSnapshot(app.db, id)))).filter((i): i is IncidentSnapshot => i !== undefined);
  const message = renderDigest(digestContext(app, i18n), incidents);
  await platform.announce(message);
  return message;
}

/** The next time DIGEST_CRON fires after `from`, in the team's zone; throws on an invalid expression. */
export function nextDigestAt(cron: string, zone: string, from: Date): Date | undefined {
  return new Cron(cron, { timezone: zone, paused: true }).nextRun(from) ?? undefined;
}

/**
 * Arms the digest as one durable job at its next cron time; the handler posts and re-arms.
 * Every process may call this: the job key is shared, so the digest is posted once.
 */
export async function armDigest(app: AppContext, cron: string): Promise<Date | undefined> {
  const at = nextDigestAt(cron, app.settings.teamTimeZone, app.clock.now());
  if (at) await enqueueJob(app.db, DIGEST_JOB, {}, { key: DIGEST_KEY, runAt: at });
  return at;
}

/**
 * Announces every status change of a public SEV1/SEV2 incident once: the last announced
 * status is claimed with a conditional upsert, so two processes never both post it.
 * Returns the incidents announced.
 */
export async function announceStatusChanges(app: AppContext, i18n: I18n, platform: Pick<ChatPlatform, 'announce'>): Promise<string[]> {
  const now = app.clock.now();
  const changed = await app.db
    .select({ id: t.incident.id, status: t.incident.status, createdAt: t.incident.createdAt, known: t.incidentDigestState.status })
    .from(t.incident)
    .leftJoin(t.incidentDigestState, eq(t.incidentDigestState.incidentId, t.incident.id))
    .where(
      and(
        inArray(t.incident.severity, ['SEV1', 'SEV2']),
        eq(t.incident.visibility, 'public'),
        or(isNull(t.incidentDigestState.status), ne(t.incidentDigestState.status, t.incident.status)),
      ),
    );
  const announced: string[] = [];
  for (const row of changed) {
    const claimed = await app.db
      .insert(t.incidentDigestState)
      .values({ incidentId: row.id, status: row.status, postedAt: now })
      .onConflictDoUpdate({
        target: t.incidentDigestState.incidentId,
        set: { status: row.status, postedAt: now },
        setWhere: sql`${t.incidentDigestState.status} <> excluded.status`,
      })
      .returning({ id: t.incidentDigestState.incidentId });
    if (claimed.length === 0) continue;
    if (row.known === null && now.getTime() - row.createdAt.getTime() > STATUS_NEWS_MS) continue;
    const incident = await loadSnapshot(app.db, row.id);
    if (!incident) continue;
    const dc = digestContext(app, i18n);
    const tr = i18n.t(dc.lang);
    const title = tr('manager:digest.statusChanged', {
      ref: formatIncidentRef(incident.number),
      severity: incident.severity,
      status: tr(`common:status.${incident.status}`),
      title: incident.title,
    });
    await platform.announce({ text: title, title, lines: digestLines(dc, incident).slice(1) });
    announced.push(row.id);
  }
  return announced;
}
