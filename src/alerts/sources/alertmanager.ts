import { z } from 'zod';
import {
  type AlertDelivery,
  type AlertItem,
  type AlertSource,
  canonicalJson,
  componentLabels,
  earliest,
  firstText,
  mostSevere,
  oneLine,
  severityOfLabel,
  sha256,
  sourceTime,
  summaryText,
} from '../delivery.ts';

const Labels = z.record(z.string(), z.string());
const Status = z.enum(['firing', 'resolved']);

/** One alert of a notification, as Alertmanager's template data has it (Grafana's is a superset). */
const NotifiedAlert = z.object({
  status: Status,
  labels: Labels,
  annotations: Labels.optional(),
  startsAt: z.string(),
  endsAt: z.string().optional(),
  generatorURL: z.string().optional(),
  // Alertmanager before 0.19 sent none: the labels then stand for it.
  fingerprint: z.string().optional(),
});
type NotifiedAlert = z.infer<typeof NotifiedAlert>;

const groupFields = {
  groupKey: z.string().min(1),
  truncatedAlerts: z.number().int().nonnegative().optional(),
  status: Status,
  receiver: z.string().optional(),
  groupLabels: Labels.optional(),
  commonLabels: Labels.optional(),
  commonAnnotations: Labels.optional(),
  externalURL: z.string().optional(),
  alerts: z.array(NotifiedAlert).min(1),
};

/** Alertmanager's webhook payload, version 4 (prometheus/alertmanager notify/webhook). */
export const AlertmanagerWebhook = z.object({ version: z.literal('4'), ...groupFields });
export type AlertmanagerWebhook = z.infer<typeof AlertmanagerWebhook>;

/** Grafana's webhook contact point payload (unified alerting): Alertmanager's, plus title, message, orgId. */
export const GrafanaWebhook = z.object({
  version: z.string().optional(),
  orgId: z.number().optional(),
  title: z.string().optional(),
  state: z.string().optional(),
  message: z.string().optional(),
  ...groupFields,
});
export type GrafanaWebhook = z.infer<typeof GrafanaWebhook>;

/** Either group notification: Grafana sends Alertmanager's shape with a few fields of its own. */
export type GroupNotification = AlertmanagerWebhook | GrafanaWebhook;

/** The alert's identity: its fingerprint (a hash of its labels), or the labels' own hash where none was sent. */
function fingerprintOf(alert: NotifiedAlert): string {
  return alert.fingerprint?.trim() || sha256(canonicalJson(alert.labels)).slice(0, 16);
}

/**
 * A repeat delivery is the same group in the same state with the same alerts in the same
 * states: Alertmanager's retries and its `repeat_interval` resend exactly that. Values and
 * URLs (Grafana's `values` change every evaluation) are left out; a new alert, one that
 * resolved, or one that fired again (a new start) makes a new delivery.
 */
export function groupDeliveryKey(source: AlertSource, payload: GroupNotification): string {
  const alerts = payload.alerts.map((a) => [fingerprintOf(a), a.status, a.startsAt, a.endsAt ?? '']).sort((a, b) => canonicalJson(a).localeCompare(canonicalJson(b)));
  return `alerts:${source}:${sha256(canonicalJson([payload.groupKey, payload.status, alerts]))}`;
}

function alertName(alert: NotifiedAlert): string {
  const name = firstText(alert.annotations?.summary, alert.labels.alertname) ?? fingerprintOf(alert);
  const where = firstText(alert.labels.instance, alert.labels.pod);
  return oneLine(where && !name.includes(where) ? `${name} (${where})` : name);
}

/** Reduces an Alertmanager-format notification to what processing reads. */
export function groupDelivery(source: AlertSource, payload: GroupNotification, fallbackTitle: string): AlertDelivery {
  const firing = payload.alerts.filter((a) => a.status === 'firing');
  const relevant = firing.length > 0 ? firing : payload.alerts;
  const first = relevant[0]!;
  const labelSets = [payload.commonLabels, payload.groupLabels, ...relevant.map((a) => a.labels)];
  const title =
    firstText(
      payload.commonAnnotations?.summary,
      payload.commonLabels?.alertname,
      payload.groupLabels?.alertname,
      first.annotations?.summary,
      first.labels.alertname,
      'title' in payload ? payload.title : undefined,
    ) ?? fallbackTitle;
  const alerts: AlertItem[] = payload.alerts.map((a) => ({ id: `${fingerprintOf(a)}@${a.startsAt}`, name: alertName(a), status: a.status }));
  return {
    source,
    groupKey: payload.groupKey,
    status: payload.status,
    title: oneLine(title) || fallbackTitle,
    summary: summaryText(firstText(payload.commonAnnotations?.description, relevant.length === 1 ? first.annotations?.description : undefined)),
    severity: mostSevere(labelSets.map((labels) => severityOfLabel(labels?.severity))),
    components: [...new Set(labelSets.flatMap(componentLabels))],
    startedAt: earliest(relevant.map((a) => sourceTime(a.startsAt))),
    alerts,
  };
}
