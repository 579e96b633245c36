import type { z } from 'zod';
import { type AlertDelivery, type AlertSource, boundedGroupKey } from '../delivery.ts';
import { AlertmanagerWebhook, GrafanaWebhook, type GroupNotification, groupDelivery, groupDeliveryKey } from './alertmanager.ts';
import { GenericAlert, genericDelivery, genericDeliveryKey } from './generic.ts';
import { PAGERDUTY_EVENTS, PagerDutyIncident, PagerDutyWebhook, pagerDutyDelivery, pagerDutyDeliveryKey } from './pagerduty.ts';

/** What a body says once read: a delivery to store, one tsuiki ignores (a PagerDuty acknowledgement), or a malformed one. */
export type ParsedBody =
  | { kind: 'delivery'; deliveryKey: string; delivery: AlertDelivery }
  | { kind: 'ignored' }
  | { kind: 'invalid'; issues: z.core.$ZodIssue[] };

/** How one source's hook reads its body. */
export interface AlertSourceDefinition {
  source: AlertSource;
  /** How a request proves where it came from: the ALERTS_TOKEN bearer, or PagerDuty's signature. */
  auth: 'bearer' | 'pagerduty-signature';
  /** The same reading at the hook and in the worker, so a stored body means what it meant when accepted. */
  parse(body: unknown): ParsedBody;
}

function invalid(error: z.ZodError): ParsedBody {
  return { kind: 'invalid', issues: error.issues };
}

/** Alertmanager and Grafana both send a group notification, each in its own schema; `fallbackTitle` is the title when the group names none. */
function groupSource(source: 'alertmanager' | 'grafana', schema: z.ZodType<GroupNotification>, fallbackTitle: string): AlertSourceDefinition {
  return {
    source,
    auth: 'bearer',
    parse(body) {
      const parsed = schema.safeParse(body);
      if (!parsed.success) return invalid(parsed.error);
      return { kind: 'delivery', deliveryKey: groupDeliveryKey(source, parsed.data), delivery: groupDelivery(source, parsed.data, fallbackTitle) };
    },
  };
}

/** Every source, by the path segment of its hook. */
const DEFINITIONS: Record<AlertSource, AlertSourceDefinition> = {
  alertmanager: groupSource('alertmanager', AlertmanagerWebhook, 'Alertmanager'),
  grafana: groupSource('grafana', GrafanaWebhook, 'Grafana'),
  pagerduty: {
    source: 'pagerduty',
    auth: 'pagerduty-signature',
    parse(body) {
      const parsed = PagerDutyWebhook.safeParse(body);
      if (!parsed.success) return invalid(parsed.error);
      if (!PAGERDUTY_EVENTS[parsed.data.event.event_type]) return { kind: 'ignored' };
      const incident = PagerDutyIncident.safeParse(parsed.data.event.data);
      if (!incident.success) return { kind: 'invalid', issues: incident.error.issues.map((i) => ({ ...i, path: ['event', 'data', ...i.path] })) };
      const delivery = pagerDutyDelivery(parsed.data, incident.data);
      return delivery ? { kind: 'delivery', deliveryKey: pagerDutyDeliveryKey(parsed.data), delivery } : { kind: 'ignored' };
    },
  },
  generic: {
    source: 'generic',
    auth: 'bearer',
    parse(body) {
      const parsed = GenericAlert.safeParse(body);
      if (!parsed.success) return invalid(parsed.error);
      return { kind: 'delivery', deliveryKey: genericDeliveryKey(parsed.data), delivery: genericDelivery(parsed.data) };
    },
  },
};

/** Every source, by the path segment of its hook; group keys come out bounded (see boundedGroupKey). */
export const ALERT_SOURCE_DEFINITIONS = Object.fromEntries(
  Object.entries(DEFINITIONS).map(([source, definition]) => [
    source,
    {
      ...definition,
      parse(body: unknown): ParsedBody {
        const parsed = definition.parse(body);
        return parsed.kind === 'delivery' ? { ...parsed, delivery: { ...parsed.delivery, groupKey: boundedGroupKey(parsed.delivery.groupKey) } } : parsed;
      },
    },
  ]),
) as Record<AlertSource, AlertSourceDefinition>;

/** The name an alert source writes under (timeline author, declarer); the generic one is named per language. */
export const SOURCE_NAMES: Record<Exclude<AlertSource, 'generic'>, string> = {
  alertmanager: 'Alertmanager',
  grafana: 'Grafana',
  pagerduty: 'PagerDuty',
};
