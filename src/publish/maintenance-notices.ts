import { and, eq, inArray, like, sql } from 'drizzle-orm';
import { z } from 'zod';
import { MAINTENANCE_NOTICE_JOB } from '../app/maintenance.ts';
import type { ChatPlatform } from '../chat/platform.ts';
import type { Clock } from '../core/clock.ts';
import type { Db } from '../db/client.ts';
import * as t from '../db/schema.ts';
import type { I18n } from '../i18n.ts';
import { defineJob, enqueueJob, type JobRunner } from '../outbox/job-runner.ts';
import { TerminalJobError } from '../outbox/jobs.ts';
import { loadStatusData } from '../status-page/data.ts';
import { loadComponentNames, loadPublicMaintenance, maintenanceJson, type PublicMaintenance, type PublicMaintenanceNotice, renderMaintenanceNotice } from '../status-page/maintenance.ts';
import { pageId } from '../status-page/statuspage-json.ts';
import { pageIndicator } from '../status-page/view.ts';
import { type Recipient, TerminalDeliveryError } from './channel.ts';
import { type EmailChannel, unsubscribeUrl } from './email.ts';
import { renderMaintenanceChat, renderMaintenanceMail } from './maintenance-mail.ts';
import { createStatuspageNoticeHandler, enqueueStatuspageNotice, MAINTENANCE_STATUSPAGE_JOB } from './maintenance-statuspage.ts';
import type { StatuspageChannel } from './statuspage.ts';
import type { WebhookChannel } from './webhook.ts';

/**
 * One maintenance notice to one subscriber. Its key (`maintenance.notice:<noticeId>:<subscriberId>`)
 * is unique in the queue, and the fan-out never re-arms a key that exists, so each
 * subscriber is sent each notice once however often the fan-out runs.
 */
export const MAINTENANCE_NOTICE_SEND_JOB = defineJob({
  name: 'maintenance.notice.send',
  version: 1,
  payload: z.object({ noticeId: z.uuid(), subscriberId: z.uuid() }),
});

/** The send job's key: also the webhook's `webhook-id`, the same on every retry. */
export const noticeSendKey = (noticeId: string, subscriberId: string) => `maintenance.notice:${noticeId}:${subscriberId}`;

/** Subscriber kinds that are chat channels, told through their platform. */
const CHAT_KINDS = ['slack', 'teams'] as const;

/** What the notice jobs need: the database, the clock, words, and the email and webhook targets. */
export interface MaintenanceNoticeDeps {
  db: Db;
  clock: Clock;
  i18n: I18n;
  publicUrl: string;
  /** Absent without SMTP_URL/MAIL_FROM: email subscribers are not told. */
  email?: Pick<EmailChannel, 'sendRendered' | 'from'> | undefined;
  webhook: Pick<WebhookChannel, 'post'>;
  /** The chat platforms registered (Slack, Teams), read at fan-out and send time: subscribed channels are told too. */
  chat?: { get(kind: string): Pick<ChatPlatform, 'post'> | undefined } | undefined;
  /** With STATUSPAGE_*: each notice also goes to Atlassian Statuspage, written in `lang` with times in `timeZone`. */
  statuspage?: { channel: Pick<StatuspageChannel, 'call'>; lang: string; timeZone: string } | undefined;
}

/** Registers the fan-out and the per-subscriber send on a process's job runner. */
export function registerMaintenanceNotices(jobs: JobRunner, deps: MaintenanceNoticeDeps): void {
  jobs.register(MAINTENANCE_NOTICE_JOB, async (payload) => {
    await fanOutMaintenanceNotice(deps, payload.noticeId);
  });
  const send = createNoticeSender(deps);
  jobs.register(MAINTENANCE_NOTICE_SEND_JOB, (payload) => send(payload));
  if (deps.statuspage) {
    const { channel, lang, timeZone } = deps.statuspage;
    jobs.register(MAINTENANCE_STATUSPAGE_JOB, createStatuspageNoticeHandler({ db: deps.db, clock: deps.clock, i18n: deps.i18n, statuspage: channel, lang, timeZone }));
  }
}

/**
 * Queues one send job per confirmed subscriber the notice concerns: email (when configured),
 * webhook and chat (when its platform is registered) subscribers whose component filter is empty or meets the maintenance's
 * components (a maintenance naming none concerns everyone), and the Statuspage target when
 * configured. The notice row is locked, so a
 * second run of the fan-out (a retry, another process) waits and then adds only what is missing.
 */
export async function fanOutMaintenanceNotice(deps: Pick<MaintenanceNoticeDeps, 'db' | 'clock' | 'email' | 'statuspage' | 'chat'>, noticeId: string): Promise<number> {
  return deps.db.transaction(async (tx) => {
    const [notice] = await tx.select().from(t.maintenanceUpdate).where(eq(t.maintenanceUpdate.id, noticeId)).for('update');
    if (!notice) return 0;
    const [m] = await tx.select().from(t.maintenance).where(eq(t.maintenance.id, notice.maintenanceId));
    if (!m || m.visibility !== 'public') return 0;
    const s = t.subscriber;
    const kinds = ['webhook', ...(deps.email ? ['email'] : []), ...CHAT_KINDS.filter((kind) => deps.chat?.get(kind))];
    const concerned = m.components.length
      ? sql`(cardinality(${s.components}) = 0 or ${s.components} && array[${sql.join(
          m.components.map((c) => sql`${c}`),
          sql`, `,
        )}]::text[])`
      : sql`true`;
    const subscribers = await tx
      .select({ id: s.id })
      .from(s)
      .where(and(eq(s.confirmed, true), inArray(s.kind, kinds), concerned));
    const prefix = noticeSendKey(noticeId, '');
    const queued = new Set(
      (await tx.select({ key: t.scheduledJob.key }).from(t.scheduledJob).where(like(t.scheduledJob.key, `${prefix}%`))).map((r) => r.key),
    );
    const now = deps.clock.now();
    if (deps.statuspage) await enqueueStatuspageNotice(tx, notice, now);
    let added = 0;
    for (const { id } of subscribers) {
      const key = noticeSendKey(noticeId, id);
      // Never re-armed: scheduling an existing key would send a notice already sent.
      if (queued.has(key)) continue;
      await enqueueJob(tx, MAINTENANCE_NOTICE_SEND_JOB, { noticeId, subscriberId: id }, { key, runAt: now });
      added++;
    }
    return added;
  });
}

/** Statuspage's page indicator, read at most once per notice and few seconds (a fan-out sends one notice to many). */
function createIndicatorReader(deps: Pick<MaintenanceNoticeDeps, 'db' | 'clock' | 'i18n'>) {
  let memo: { noticeId: string; at: number; value: ReturnType<typeof pageIndicator> } | undefined;
  return async (noticeId: string) => {
    const now = deps.clock.now();
    if (memo && memo.noticeId === noticeId && Math.abs(now.getTime() - memo.at) < 10_000) return memo.value;
    const value = pageIndicator(await loadStatusData(deps.db, now));
    memo = { noticeId, at: now.getTime(), value };
    return value;
  };
}

/** The send job: renders the notice for one subscriber and sends it by email, webhook or chat. */
export function createNoticeSender(deps: MaintenanceNoticeDeps) {
  const indicator = createIndicatorReader(deps);
  return async ({ noticeId, subscriberId }: { noticeId: string; subscriberId: string }): Promise<void> => {
    const [notice] = await deps.db.select().from(t.maintenanceUpdate).where(eq(t.maintenanceUpdate.id, noticeId));
    if (!notice) return;
    const loaded = await loadPublicMaintenance(deps.db, notice.maintenanceId);
    // Made private since, or gone: nothing to tell.
    if (!loaded) return;
    const [subscriber] = await deps.db.select().from(t.subscriber).where(and(eq(t.subscriber.id, subscriberId), eq(t.subscriber.confirmed, true)));
    // Unsubscribed (or disabled by a 410) since the fan-out.
    if (!subscriber) return;
    // A reminder held up past the start would announce something already under way.
    if (notice.kind === 'reminder' && deps.clock.now().getTime() >= notice.scheduledFor.getTime()) return;
    const recipient: Recipient = {
      id: subscriber.id,
      kind: subscriber.kind,
      address: subscriber.address,
      lang: deps.i18n.pick(subscriber.lang),
      timeZone: subscriber.timeZone,
      secret: subscriber.secret,
      unsubscribeToken: subscriber.unsubscribeToken,
    };
    const m = loaded.maintenance;
    const own = m.notices.find((n) => n.id === noticeId)!;
    const components = await loadComponentNames(deps.db);
    const names = m.components.map((id) => {
      const c = components.get(id);
      return c ? (c.names[recipient.lang] ?? c.name) : id;
    });
    try {
      if (subscriber.kind === 'email') {
        if (!deps.email) throw new TerminalDeliveryError('email is not configured (SMTP_URL, MAIL_FROM)');
        const mail = renderMaintenanceMail(m, own, recipient, { i18n: deps.i18n, publicUrl: deps.publicUrl, from: deps.email.from, componentNames: names });
        await deps.email.sendRendered(recipient.address, mail);
        return;
      }
      if (subscriber.kind === 'webhook') {
        const body = JSON.stringify(maintenanceWebhookPayload(m, own, recipient, { ...deps, components, indicator: await indicator(noticeId) }));
        await deps.webhook.post(recipient, body, noticeSendKey(noticeId, subscriberId));
        return;
      }
      if ((CHAT_KINDS as readonly string[]).includes(subscriber.kind)) {
        const platform = deps.chat?.get(subscriber.kind);
        if (!platform) throw new TerminalDeliveryError(`no ${subscriber.kind} platform configured`);
        const key = noticeSendKey(noticeId, subscriberId);
        // Keyed: a retry after a post that went through posts nothing more.
        await platform.post(recipient.address, renderMaintenanceChat(m, own, recipient, { i18n: deps.i18n, publicUrl: deps.publicUrl, componentNames: names }), { key, delivery: { key } });
        return;
      }
      throw new TerminalDeliveryError(`maintenance notices do not go to ${subscriber.kind} subscribers`);
    } catch (e) {
      // A refusal for good ends the job at once; anything else is retried with backoff (Retry-After kept).
      if (e instanceof TerminalDeliveryError) throw new TerminalJobError(e.message, { cause: e });
      throw e;
    }
  };
}

/**
 * A maintenance notice as Statuspage's webhook sends a scheduled maintenance: `meta`
 * (the subscriber's unsubscribe link), `page` (its indicator) and `incident` (the
 * maintenance as the v2 API writes it, its updates up to this notice, newest first), in the
 * subscriber's language and zone. `notice` adds what Statuspage lacks: which notice this
 * is, and its text in every language.
 */
export function maintenanceWebhookPayload(
  m: PublicMaintenance,
  notice: PublicMaintenanceNotice,
  recipient: Pick<Recipient, 'lang' | 'timeZone' | 'unsubscribeToken'>,
  ctx: { i18n: I18n; publicUrl: string; components: Awaited<ReturnType<typeof loadComponentNames>>; indicator: ReturnType<typeof pageIndicator> },
) {
  const upTo = m.notices.slice(m.notices.findIndex((n) => n.id === notice.id));
  const status = notice.status === 'cancelled' ? 'completed' : notice.status;
  const json = maintenanceJson({ ...m, status, notices: upTo }, { i18n: ctx.i18n, lang: recipient.lang, timeZone: recipient.timeZone, publicUrl: ctx.publicUrl, components: ctx.components });
  const tr = ctx.i18n.t(recipient.lang);
  return {
    meta: { unsubscribe: unsubscribeUrl(ctx.publicUrl, recipient.unsubscribeToken), documentation: `${ctx.publicUrl}/status` },
    page: { id: pageId(ctx.publicUrl), status_indicator: ctx.indicator, status_description: tr(`public:indicator.${ctx.indicator}`) },
    incident: {
      ...json,
      backfilled: false,
      impact_override: null,
      scheduled_remind_prior: true,
      scheduled_auto_in_progress: true,
      scheduled_auto_completed: true,
    },
    notice: {
      id: notice.id,
      kind: notice.kind,
      cancelled: notice.kind === 'cancelled',
      lang: recipient.lang,
      time_zone: recipient.timeZone,
      bodies: Object.fromEntries(ctx.i18n.languages.map((lang) => [lang, renderMaintenanceNotice(ctx.i18n, lang, recipient.timeZone, m, notice)])),
    },
  };
}
