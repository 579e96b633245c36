import { and, eq, sql } from 'drizzle-orm';
import type { NeutralMessage } from '../chat/message.ts';
import type { Db } from '../db/client.ts';
import * as t from '../db/schema.ts';
import type { I18n } from '../i18n.ts';
import type { TargetName } from '../publish/channel.ts';

/** Deliveries of one update at one target, skipped ones left out (target not configured, unsubscribed). */
export interface TargetProgress {
  target: TargetName;
  total: number;
  delivered: number;
  dead: number;
}

export interface DeliveryFailure {
  target: TargetName;
  /** The subscriber's address; absent for Statuspage and the announcement. */
  address?: string;
  error: string;
}

/** Where one update's fan-out stands; `final` once nothing is left to try. */
export interface DeliveryProgress {
  incidentId: string;
  incidentNumber: number;
  updateId: string;
  targets: TargetProgress[];
  /** Dead deliveries, at most `MAX_LISTED_FAILURES` of them; `failureCount` has them all. */
  failures: DeliveryFailure[];
  failureCount: number;
  final: boolean;
}

/**
 * Reports a fan-out in the incident channel: one message, posted once and then edited in
 * place (`messageRef` is what `progress` returned the first time). publish/chat-reporter.ts
 * implements it over every registered chat platform, and logs it where there is no incident channel.
 */
export interface DeliveryReporter {
  progress(progress: DeliveryProgress, messageRef: string | undefined): Promise<string | undefined>;
}

export const MAX_LISTED_FAILURES = 20;
const TARGET_ORDER: TargetName[] = ['email', 'webhook', 'chat', 'announce', 'statuspage'];

/** The progress message: `email 3,200/10,000 · webhooks 10,000/10,000 · Statuspage ✓`, then failures when final. */
export function renderProgress(progress: DeliveryProgress, i18n: I18n, lang: string): NeutralMessage {
  const tr = i18n.t(lang);
  const number = new Intl.NumberFormat(lang);
  const ref = `INC-${progress.incidentNumber}`;
  const parts = progress.targets.map((p) => {
    const target = tr(`email:progress.target.${p.target}`);
    // A single-delivery target reads as a mark, a fan-out as a count.
    if (p.total === 1 && p.delivered === 1) return tr('email:progress.done', { target });
    if (p.total === 1 && p.dead === 1) return tr('email:progress.failedTarget', { target });
    return tr('email:progress.count', { target, done: number.format(p.delivered), total: number.format(p.total) });
  });
  const summary = parts.join(' · ');
  const lines = [summary];
  if (progress.final && progress.failureCount > 0) {
    lines.push(tr('email:progress.failures', { count: progress.failureCount }));
    for (const f of progress.failures) {
      lines.push(tr('email:progress.failure', { target: tr(`email:progress.target.${f.target}`), address: f.address ?? '', error: f.error }));
    }
    const more = progress.failureCount - progress.failures.length;
    if (more > 0) lines.push(tr('email:progress.more', { count: more }));
  }
  const title = tr(progress.final ? 'email:progress.finalTitle' : 'email:progress.title', { ref });
  return { text: `${title}: ${summary}`, title, lines };
}

/** Counts an update's deliveries per target; `open` is how many may still be tried. */
export async function countProgress(db: Db, updateId: string): Promise<{ targets: TargetProgress[]; open: number }> {
  const rows = await db
    .select({ target: t.delivery.target, state: t.delivery.state, n: sql<number>`count(*)::int` })
    .from(t.delivery)
    .where(eq(t.delivery.updateId, updateId))
    .groupBy(t.delivery.target, t.delivery.state);
  const byTarget = new Map<TargetName, TargetProgress>();
  let open = 0;
  for (const r of rows) {
    const n = Number(r.n);
    if (r.state === 'pending' || r.state === 'failed') open += n;
    if (r.state === 'skipped') continue;
    const target = r.target as TargetName;
    const p = byTarget.get(target) ?? { target, total: 0, delivered: 0, dead: 0 };
    p.total += n;
    if (r.state === 'delivered') p.delivered += n;
    if (r.state === 'dead') p.dead += n;
    byTarget.set(target, p);
  }
  const targets = TARGET_ORDER.flatMap((target) => (byTarget.has(target) ? [byTarget.get(target)!] : []));
  return { targets, open };
}

async function loadFailures(db: Db, updateId: string): Promise<DeliveryFailure[]> {
  const rows = await db
    .select({ target: t.delivery.target, error: t.delivery.lastError, address: t.subscriber.address })
    .from(t.delivery)
    .leftJoin(t.subscriber, eq(t.subscriber.id, t.delivery.subscriberId))
    .where(and(eq(t.delivery.updateId, updateId), eq(t.delivery.state, 'dead')))
    .orderBy(t.delivery.target, t.delivery.createdAt)
    .limit(MAX_LISTED_FAILURES);
  return rows.map((r) => ({ target: r.target as TargetName, error: r.error ?? '', ...(r.address ? { address: r.address } : {}) }));
}

/**
 * Reports an update's progress when it is this process's turn: at most once per
 * `everyMs` across all processes while deliveries are open, and the final summary exactly
 * once (whoever flips `finished_at` posts it). Returns true when it reported.
 */
export async function reportProgress(
  db: Db,
  reporter: DeliveryReporter,
  update: { updateId: string; incidentId: string; incidentNumber: number },
  now: Date,
  everyMs: number,
): Promise<boolean> {
  const { targets, open } = await countProgress(db, update.updateId);
  if (targets.length === 0) return false;
  const final = open === 0;
  const p = t.deliveryProgress;
  const inserted = await db
    .insert(p)
    .values({ updateId: update.updateId, updatedAt: now, ...(final ? { finishedAt: now } : {}) })
    .onConflictDoNothing()
    .returning({ messageRef: p.messageRef });
  let turn = inserted[0];
  if (!turn) {
    const due = final ? sql`true` : sql`${p.updatedAt} <= ${new Date(now.getTime() - everyMs).toISOString()}::timestamptz`;
    [turn] = await db
      .update(p)
      .set({ updatedAt: now, ...(final ? { finishedAt: now } : {}) })
      .where(and(eq(p.updateId, update.updateId), sql`${p.finishedAt} is null`, due))
      .returning({ messageRef: p.messageRef });
  }
  if (!turn) return false;
  const failures = final ? await loadFailures(db, update.updateId) : [];
  const failureCount = targets.reduce((n, x) => n + x.dead, 0);
  const ref = await reporter.progress({ ...update, targets, failures, failureCount, final }, turn.messageRef ?? undefined);
  if (ref && ref !== turn.messageRef) await db.update(p).set({ messageRef: ref }).where(eq(p.updateId, update.updateId));
  return true;
}
