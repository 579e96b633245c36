import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { Severity } from '../../core/model.ts';
import { type AlertDelivery, firstText, oneLine, severityOfLabel, sha256, sourceTime } from '../delivery.ts';

const Reference = z.object({ id: z.string().optional(), summary: z.string().optional() }).nullable().optional();

/** A PagerDuty v3 webhook: one event; `data` depends on its type (developer.pagerduty.com, Webhooks v3). */
export const PagerDutyWebhook = z.object({
  event: z.object({
    id: z.string().min(1),
    event_type: z.string().min(1),
    resource_type: z.string().optional(),
    occurred_at: z.string().optional(),
    data: z.record(z.string(), z.unknown()),
  }),
});
export type PagerDutyWebhook = z.infer<typeof PagerDutyWebhook>;

/** `event.data` of the incident events tsuiki acts on. */
export const PagerDutyIncident = z.object({
  id: z.string().min(1),
  type: z.literal('incident').optional(),
  number: z.number().optional(),
  title: z.string().optional(),
  status: z.string().optional(),
  created_at: z.string().optional(),
  reopened_at: z.string().optional(),
  urgency: z.string().nullable().optional(),
  priority: Reference,
  service: Reference,
});
export type PagerDutyIncident = z.infer<typeof PagerDutyIncident>;

/** Incident events that open or reopen (firing) and resolve; every other event type is acknowledged and ignored. */
export const PAGERDUTY_EVENTS: Record<string, 'firing' | 'resolved'> = {
  'incident.triggered': 'firing',
  'incident.reopened': 'firing',
  'incident.resolved': 'resolved',
};

/** Redeliveries of one event carry its id: that is what makes a delivery a repeat. */
export function pagerDutyDeliveryKey(payload: PagerDutyWebhook): string {
  return `alerts:pagerduty:${sha256(payload.event.id)}`;
}

/** PagerDuty priorities (P1…P5) onto ours; P4 and P5 are both the least severe. */
function severityOfPriority(summary: string | undefined): Severity | undefined {
  const n = /^p([1-5])$/i.exec(summary?.trim() ?? '')?.[1];
  return n ? (`SEV${Math.min(Number(n), 4)}` as Severity) : undefined;
}

/** Reduces an incident event to what processing reads; undefined for events tsuiki ignores. */
export function pagerDutyDelivery(payload: PagerDutyWebhook, incident: PagerDutyIncident): AlertDelivery | undefined {
  const status = PAGERDUTY_EVENTS[payload.event.event_type];
  if (!status) return undefined;
  const title = oneLine(firstText(incident.title) ?? `PagerDuty #${incident.number ?? incident.id}`);
  // One PagerDuty incident is one alert; reopening it starts a new occurrence.
  const since = firstText(incident.reopened_at, incident.created_at, payload.event.occurred_at) ?? '';
  const service = firstText(incident.service?.summary);
  return {
    source: 'pagerduty',
    groupKey: incident.id,
    status,
    title,
    severity: severityOfPriority(incident.priority?.summary) ?? severityOfLabel(incident.urgency) ?? 'SEV3',
    components: service ? [service] : [],
    startedAt: sourceTime(firstText(incident.reopened_at, incident.created_at, payload.event.occurred_at)),
    alerts: [{ id: `${incident.id}@${since}`, name: title, status }],
  };
}

/**
 * Whether `X-PagerDuty-Signature` holds a `v1=` HMAC-SHA256 of the raw body under one of
 * `secrets`: PagerDuty signs with every secret of a rotation, and tsuiki may know either.
 * Compared in constant time.
 */
export function verifyPagerDutySignature(body: Uint8Array, header: string | undefined, secrets: readonly string[]): boolean {
  if (!header || secrets.length === 0) return false;
  const given = header
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.startsWith('v1='))
    .map((s) => Buffer.from(s.slice(3).toLowerCase(), 'utf8'));
  let valid = false;
  for (const secret of secrets) {
    const expected = Buffer.from(createHmac('sha256', secret).update(body).digest('hex'), 'utf8');
    // Every pair is compared, so the time taken does not tell which one matched.
    for (const signature of given) if (signature.length === expected.length && timingSafeEqual(signature, expected)) valid = true;
  }
  return valid;
}
