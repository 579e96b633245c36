import { z } from 'zod';
import { type AlertDelivery, canonicalJson, oneLine, severityOfLabel, sha256, sourceTime, summaryText } from '../delivery.ts';

/** `POST /hooks/generic`: tsuiki's own format, for monitoring that can send a JSON body of its choosing. */
export const GenericAlert = z.object({
  title: z.string().trim().min(1).max(1000),
  key: z.string().trim().min(1).max(1000),
  status: z.enum(['firing', 'resolved']),
  severity: z
    .union([z.string(), z.number()])
    .refine((v) => severityOfLabel(v) !== undefined, { message: 'critical, error, high, warning, info, low, 1-4 or sev1-sev4' })
    .optional(),
  components: z.union([z.array(z.string().max(200)).max(50), z.string().max(2000)]).optional(),
  summary: z.string().max(20_000).optional(),
  /** When the problem began (ISO 8601); a new occurrence of the same key says so with a new time. */
  started: z.iso.datetime({ offset: true }).optional(),
});
export type GenericAlert = z.infer<typeof GenericAlert>;

/** A repeat is the same body again (key order and spacing aside): a sender's retry. */
export function genericDeliveryKey(payload: GenericAlert): string {
  return `alerts:generic:${sha256(canonicalJson([payload.key, payload.status, sha256(canonicalJson(payload))]))}`;
}

export function genericDelivery(payload: GenericAlert): AlertDelivery {
  const components = typeof payload.components === 'string' ? payload.components.split(',') : (payload.components ?? []);
  const title = oneLine(payload.title);
  return {
    source: 'generic',
    groupKey: payload.key,
    status: payload.status,
    title,
    summary: summaryText(payload.summary),
    severity: severityOfLabel(payload.severity) ?? 'SEV3',
    components: [...new Set(components.map((c) => c.trim()).filter(Boolean))],
    startedAt: sourceTime(payload.started),
    alerts: [{ id: `${payload.key}@${payload.started ?? ''}`, name: title, status: payload.status }],
  };
}
