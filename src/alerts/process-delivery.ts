import { and, desc, eq, ne, sql } from 'drizzle-orm';
import { type CommandMeta, loadHeadForActor, runWrite } from '../app/command-runner.ts';
import type { AppContext } from '../app/context.ts';
import { declareIncident } from '../app/declare-incident.ts';
import { appendEntry, setMoment, touchIncident } from '../app/writes.ts';
import { ensureIncidentChannel } from '../chat/incident-channel.ts';
import type { NeutralMessage } from '../chat/message.ts';
import type { ChatPlatform } from '../chat/platform.ts';
import { DomainError } from '../core/errors.ts';
import { type Actor, formatIncidentRef, OPEN_STATUSES, type Status } from '../core/model.ts';
import { type Db, rowsOf, type Tx } from '../db/client.ts';
import { findIncidentChatRef } from '../db/incident-repository.ts';
import * as t from '../db/schema.ts';
import type { I18n } from '../i18n.ts';
import type { Logger } from '../logger.ts';
import { type InboxHandler, type InboxItem, UnreadableRequestError } from '../outbox/inbox.ts';
import { componentIdsFor } from './components.ts';
import type { AlertDelivery, AlertItem, AlertSource } from './delivery.ts';
import { ALERT_SOURCE_DEFINITIONS, SOURCE_NAMES } from './sources/index.ts';

export interface AlertProcessorDeps {
  app: AppContext;
  i18n: I18n;
  logger: Logger;
  /** The chat platforms to open channels and post on, looked up when processing (parts register theirs late). */
  platforms: () => readonly ChatPlatform[];
}

/** Who a source writes as: the monitoring system itself, in the team's first language. */
export function sourceActor(app: AppContext, i18n: I18n, source: AlertSource): Actor {
  const lang = app.settings.locales[0]!;
  const name = source === 'generic' ? i18n.t(lang)('alerts:source.generic') : SOURCE_NAMES[source];
  return { platform: 'console', id: `alerts:${source}`, name, lang };
}

/** The inbox handler of every alert kind: the stored body is read again as the hook read it, then processed. */
export function createAlertHandler(deps: AlertProcessorDeps): InboxHandler {
  return async (item) => {
    const definition = ALERT_SOURCE_DEFINITIONS[item.kind as AlertSource];
    const parsed = definition?.parse(item.payload);
    if (parsed?.kind !== 'delivery') throw new UnreadableRequestError(`unreadable ${item.kind} alert delivery`);
    await processDelivery(deps, item, parsed.delivery);
  };
}

interface OpenGroup {
  id: string;
  incidentId: string;
  status: string;
  resolutionProposedAt: Date | null;
}

/** The group's link to an incident not yet closed, the latest if several (a closed one's group fired again). */
async function findOpenGroup(app: AppContext, source: AlertSource, groupKey: string): Promise<OpenGroup | undefined> {
  const g = t.alertGroup;
  const [row] = await app.db
    .select({ id: g.id, incidentId: g.incidentId, status: g.status, resolutionProposedAt: g.resolutionProposedAt })
    .from(g)
    .innerJoin(t.incident, eq(t.incident.id, g.incidentId))
    .where(and(eq(g.source, source), eq(g.groupKey, groupKey), ne(t.incident.status, 'closed')))
    .orderBy(desc(g.firstReceivedAt))
    .limit(1);
  return row;
}

/**
 * One stored delivery: a firing group with no open incident declares one; further
 * deliveries of the group record, on its incident's timeline, the alerts not recorded yet;
 * a resolved group proposes the resolution in the incident's channel — never resolves.
 */
export async function processDelivery(deps: AlertProcessorDeps, item: InboxItem, delivery: AlertDelivery): Promise<void> {
  const group = await findOpenGroup(deps.app, delivery.source, delivery.groupKey);
  if (!group) {
    if (delivery.status === 'resolved') deps.logger.info({ source: delivery.source, groupKey: delivery.groupKey }, 'resolved alert group with no open incident: nothing to propose');
    else if (await firesAnew(deps.app, delivery)) await declareFromAlerts(deps, item, delivery);
    else deps.logger.info({ source: delivery.source, groupKey: delivery.groupKey }, 'alerts of a closed incident still firing: nothing new to declare');
    return;
  }
  try {
    await recordOnGroup(deps, item, delivery, group);
  } catch (e) {
    // Closed between the lookup and the write: a firing group then opens a new incident.
    if (e instanceof DomainError && e.code === 'incident_closed' && delivery.status === 'firing') await declareFromAlerts(deps, item, delivery);
    else throw e;
  }
}

/**
 * Whether a group with no open incident fires anew: some firing alert was not part of the
 * incident last closed for it (a new alert, or one that fired again with a new start). The
 * alerts that incident was about, still firing, are the occurrence already handled.
 */
async function firesAnew(app: AppContext, delivery: AlertDelivery): Promise<boolean> {
  const g = t.alertGroup;
  const [last] = await app.db
    .select({ id: g.id, incidentId: g.incidentId })
    .from(g)
    .where(and(eq(g.source, delivery.source), eq(g.groupKey, delivery.groupKey)))
    .orderBy(desc(g.firstReceivedAt))
    .limit(1);
  if (!last) return true;
  const seen = await seenAlerts(app.db, last.incidentId, last.id);
  return delivery.alerts.some((a) => a.status === 'firing' && !seen.firing.has(a.id));
}

/** Alert names as one timeline line lists them: the first twenty, then how many more. */
function listed(i18n: I18n, lang: string, alerts: AlertItem[]): string {
  const names = alerts.slice(0, 20).map((a) => a.name);
  if (alerts.length > 20) names.push(`+${alerts.length - 20}`);
  return i18n.formatList(names, lang);
}

async function declareFromAlerts(deps: AlertProcessorDeps, item: InboxItem, delivery: AlertDelivery): Promise<void> {
  const { app, i18n } = deps;
  const actor = sourceActor(app, i18n, delivery.source);
  const tr = i18n.t(actor.lang);
  const receivedAt = item.receivedAt;
  // The source's start, never after we heard of it (its clock may run ahead of ours).
  const started = delivery.startedAt && (delivery.startedAt > receivedAt ? receivedAt : delivery.startedAt);
  const firing = delivery.alerts.filter((a) => a.status === 'firing');
  const meta: CommandMeta = {
    actor,
    // A crash after the commit finds the receipt when the delivery is processed again: one incident.
    idempotencyKey: `alerts:declare:${item.id}`,
    // In the declaration's own transaction: the group's link, `detected` and the alerts that fired.
    enqueue: async (tx, write) => {
      const incidentId = write.incidentId!;
      const [row] = await tx.select({ createdAt: t.incident.createdAt }).from(t.incident).where(eq(t.incident.id, incidentId));
      const now = row!.createdAt;
      const groupId = app.newId();
      await tx.insert(t.alertGroup).values({ id: groupId, source: delivery.source, groupKey: delivery.groupKey, incidentId, status: 'firing', firstReceivedAt: receivedAt, lastReceivedAt: receivedAt });
      const detected = receivedAt > now ? now : receivedAt;
      await setMoment(tx, incidentId, 'detected', detected, actor.id, now);
      await appendEntry(tx, app, incidentId, { kind: 'moment', actor, occurredAt: detected, recordedAt: now, data: { moment: 'detected', at: detected.toISOString() } });
      await appendEntry(tx, app, incidentId, {
        kind: 'note',
        actor,
        occurredAt: detected,
        recordedAt: now,
        text: tr('alerts:timeline.firing', { source: actor.name, alerts: listed(i18n, actor.lang, firing) }),
        sourceLang: actor.lang,
        data: { alertGroup: groupId, source: delivery.source, firing: firing.map((a) => a.id), resolved: [] },
      });
    },
  };
  const { outcome } = await declareIncident(app, meta, {
    title: delivery.title,
    severity: delivery.severity,
    components: await componentIdsFor(app.db, delivery.components, app.settings.strictComponents),
    visibility: 'private',
    ...(started ? { started } : {}),
    ...(delivery.summary ? { summary: delivery.summary } : {}),
  });
  for (const platform of deps.platforms()) {
    // Nobody typed this: the channel is one on-call can find and join, and it is announced,
    // though the incident stays private (off the status page) until a person decides.
    await ensureIncidentChannel({ app, i18n, platform, logger: deps.logger }, outcome.incidentId, actor, [], { openToTeam: true });
  }
}

/** The alert ids already on the group's timeline entries, firing and resolved. */
async function seenAlerts(tx: Db | Tx, incidentId: string, groupId: string): Promise<{ firing: Set<string>; resolved: Set<string> }> {
  const rows = rowsOf<{ data: unknown }>(
    await tx.execute(sql`select data from timeline_entry where incident_id = ${incidentId}::uuid and kind = 'note' and data->>'alertGroup' = ${groupId}`),
  );
  const firing = new Set<string>();
  const resolved = new Set<string>();
  for (const { data } of rows) {
    const d = (typeof data === 'string' ? JSON.parse(data) : data) as { firing?: unknown; resolved?: unknown };
    for (const id of Array.isArray(d.firing) ? d.firing : []) firing.add(String(id));
    for (const id of Array.isArray(d.resolved) ? d.resolved : []) resolved.add(String(id));
  }
  return { firing, resolved };
}

async function recordOnGroup(deps: AlertProcessorDeps, item: InboxItem, delivery: AlertDelivery, group: OpenGroup): Promise<void> {
  const { app, i18n } = deps;
  const actor = sourceActor(app, i18n, delivery.source);
  const tr = i18n.t(actor.lang);
  const meta: CommandMeta = { actor, idempotencyKey: `alerts:${item.id}` };
  const { outcome } = await runWrite(app, meta, 'alert', group.incidentId, async (tx, now) => {
    const incident = await loadHeadForActor(tx, group.incidentId, meta, { write: true });
    const [current] = await tx.select().from(t.alertGroup).where(eq(t.alertGroup.id, group.id)).for('update');
    const seen = await seenAlerts(tx, group.incidentId, group.id);
    const newFiring = delivery.alerts.filter((a) => a.status === 'firing' && !seen.firing.has(a.id));
    const newResolved = delivery.alerts.filter((a) => a.status === 'resolved' && !seen.resolved.has(a.id));
    const wasResolved = current?.status === 'resolved';
    const lines: string[] = [];
    if (newFiring.length) lines.push(tr('alerts:timeline.firing', { source: actor.name, alerts: listed(i18n, actor.lang, newFiring) }));
    if (newResolved.length) lines.push(tr('alerts:timeline.resolved', { source: actor.name, alerts: listed(i18n, actor.lang, newResolved) }));
    else if (delivery.status === 'resolved' && !wasResolved) lines.push(tr('alerts:timeline.groupResolved', { source: actor.name }));
    // Proposed once per resolution, and only while a person has not resolved it already.
    const propose = delivery.status === 'resolved' && !(wasResolved && current?.resolutionProposedAt) && OPEN_STATUSES.includes(incident.status as Status);
    await tx
      .update(t.alertGroup)
      .set({
        status: delivery.status,
        lastReceivedAt: item.receivedAt,
        // Firing again: a later resolution is proposed anew.
        ...(delivery.status === 'firing' ? { resolutionProposedAt: null } : propose ? { resolutionProposedAt: now } : {}),
      })
      .where(eq(t.alertGroup.id, group.id));
    if (lines.length > 0) {
      await appendEntry(tx, app, group.incidentId, {
        kind: 'note',
        actor,
        occurredAt: item.receivedAt > now ? now : item.receivedAt,
        recordedAt: now,
        text: lines.join(' '),
        sourceLang: actor.lang,
        data: { alertGroup: group.id, source: delivery.source, firing: newFiring.map((a) => a.id), resolved: newResolved.map((a) => a.id) },
      });
      await touchIncident(tx, group.incidentId, now);
    }
    return { incidentId: group.incidentId, number: incident.number, newFiring: newFiring.map((a) => a.name), propose };
  });
  const ref = formatIncidentRef(outcome.number);
  const newFiring = outcome.newFiring as string[];
  for (const platform of deps.platforms()) {
    // A declaration whose processing stopped before its channel was opened (a crash) gets it now.
    const chatRef =
      (await findIncidentChatRef(app.db, group.incidentId, platform.platform)) ??
      ((await ensureIncidentChannel({ app, i18n, platform, logger: deps.logger }, group.incidentId, actor, [], { openToTeam: true }))
        ? await findIncidentChatRef(app.db, group.incidentId, platform.platform)
        : undefined);
    if (!chatRef) continue;
    // Keyed by the delivery: processed again after a crash, nothing is posted twice.
    if (newFiring.length > 0) {
      const line = tr('alerts:chat.firing', { ref, source: actor.name, alerts: i18n.formatList(newFiring.slice(0, 20), actor.lang) });
      await platform.post(chatRef.channelId, { text: line, lines: [line] }, { key: `${item.deliveryKey}:${platform.platform}:firing` });
    }
    if (outcome.propose) {
      await platform.post(chatRef.channelId, resolutionProposal(i18n, actor, ref, group.incidentId), { key: `${item.deliveryKey}:${platform.platform}:proposal` });
    }
  }
}

/** "Every alert resolved: resolve the incident?" with a Resolve button; pressing it runs `status resolved` as the presser. */
export function resolutionProposal(i18n: I18n, actor: Actor, ref: string, incidentId: string): NeutralMessage {
  const tr = i18n.t(actor.lang);
  const text = tr('alerts:chat.proposal', { source: actor.name, ref });
  return {
    text,
    lines: [text, tr('alerts:chat.proposalHint')],
    actions: [{ id: 'resolve_incident', label: tr('alerts:chat.resolve', { ref }), value: incidentId, style: 'primary' }],
  };
}
