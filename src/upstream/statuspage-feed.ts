import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Impact, Severity, Status } from '../core/model.ts';

/**
 * A vendor's Statuspage public v2 `incidents.json`, read tolerantly: only the fields we
 * use are checked, everything else (tweets, postmortems, groups) is ignored.
 */
const UpstreamComponent = z.object({
  id: z.string().optional(),
  code: z.string().optional(),
  name: z.string().min(1),
  status: z.string().optional(),
  new_status: z.string().optional(),
  // A component group's name is a product name too (`Programmable Messaging`).
  group: z.boolean().optional(),
});

const UpstreamUpdate = z.object({
  id: z.string().min(1),
  status: z.string(),
  body: z.string().default(''),
  created_at: z.string(),
  display_at: z.string().nullish(),
  affected_components: z.array(UpstreamComponent).nullish(),
});

const UpstreamIncident = z.object({
  id: z.string().min(1),
  name: z.string().min(1),
  status: z.string(),
  impact: z.string().nullish(),
  created_at: z.string(),
  started_at: z.string().nullish(),
  resolved_at: z.string().nullish(),
  shortlink: z.string().nullish(),
  incident_updates: z.array(UpstreamUpdate).default([]),
  components: z.array(UpstreamComponent).default([]),
});

const IncidentsJson = z.object({
  page: z.object({ id: z.string().optional(), name: z.string().optional(), url: z.string().optional() }).optional(),
  incidents: z.array(z.unknown()),
});

export type UpstreamComponent = z.infer<typeof UpstreamComponent>;
export type UpstreamUpdate = z.infer<typeof UpstreamUpdate>;
export type UpstreamIncident = z.infer<typeof UpstreamIncident>;

export interface UpstreamFeed {
  /** The vendor's page name (`Twilio`), when the page says it. */
  vendor: string | undefined;
  incidents: UpstreamIncident[];
  /** Incidents that did not parse; skipped so one odd entry never blocks the others. */
  skipped: number;
}

/** Parses `incidents.json`; throws when it is not Statuspage's shape at all. */
export function parseIncidentsJson(json: unknown): UpstreamFeed {
  const page = IncidentsJson.parse(json);
  const incidents: UpstreamIncident[] = [];
  let skipped = 0;
  for (const raw of page.incidents) {
    const parsed = UpstreamIncident.safeParse(raw);
    if (parsed.success) incidents.push(parsed.data);
    else skipped++;
  }
  return { vendor: page.page?.name, incidents, skipped };
}

/** Our status for a vendor's (`postmortem` and unknown ones read as what they follow). */
export function statusOf(upstream: string): Status {
  if (upstream === 'identified' || upstream === 'monitoring' || upstream === 'resolved') return upstream;
  if (upstream === 'postmortem' || upstream === 'completed') return 'resolved';
  return 'investigating';
}

/** True when the vendor considers the incident over. */
export function isUpstreamResolved(incident: Pick<UpstreamIncident, 'status' | 'resolved_at'>): boolean {
  return statusOf(incident.status) === 'resolved' || Boolean(incident.resolved_at);
}

/** Statuspage's incident impact as our severity: critical → SEV1, major → SEV2, minor → SEV3, none → SEV4. */
export function severityOf(impact: string | null | undefined): Severity {
  if (impact === 'critical') return 'SEV1';
  if (impact === 'major') return 'SEV2';
  if (impact === 'minor') return 'SEV3';
  return 'SEV4';
}

const IMPACT_OF_INCIDENT: Record<string, Impact> = { critical: 'major_outage', major: 'partial_outage', minor: 'degraded_performance' };

/** A component status that is an impact (`operational` and `under_maintenance` are not). */
export function impactOf(status: string | null | undefined): Impact | undefined {
  return status === 'degraded_performance' || status === 'partial_outage' || status === 'major_outage' ? status : undefined;
}

/**
 * A component id from a vendor's component name, as commands type ids (`[a-z0-9_-]`):
 * `Programmable SMS` → `programmable-sms`; a name with no such letters gets a stable hash.
 */
export function componentSlug(name: string): string {
  const slug = name
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60)
    .replace(/-+$/, '');
  return slug || `component-${createHash('sha256').update(name).digest('hex').slice(0, 8)}`;
}

/**
 * The vendor's affected components with an impact each: the component's current status
 * when it is an impact, else the latest update that named it, else the incident's impact.
 */
export function affectedComponents(incident: UpstreamIncident): { id: string; name: string; impact: Impact }[] {
  const byUpdate = new Map<string, Impact>();
  for (const update of sortUpdates(incident.incident_updates)) {
    for (const c of update.affected_components ?? []) {
      const impact = impactOf(c.new_status ?? c.status);
      if (impact) byUpdate.set(c.name, impact);
    }
  }
  const fallback = IMPACT_OF_INCIDENT[incident.impact ?? ''] ?? 'partial_outage';
  const seen = new Map<string, { id: string; name: string; impact: Impact }>();
  const names = [...incident.components.map((c) => ({ name: c.name, status: c.status })), ...[...byUpdate.keys()].map((name) => ({ name, status: undefined }))];
  for (const { name, status } of names) {
    const id = componentSlug(name);
    if (seen.has(id)) continue;
    seen.set(id, { id, name, impact: impactOf(status) ?? byUpdate.get(name) ?? fallback });
  }
  return [...seen.values()];
}

/** Updates oldest first (the feed lists them newest first). */
export function sortUpdates(updates: readonly UpstreamUpdate[]): UpstreamUpdate[] {
  return [...updates].sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at) || a.id.localeCompare(b.id));
}

/** When the vendor says the update happened. */
export function updateTime(update: UpstreamUpdate): Date {
  const at = new Date(update.display_at ?? update.created_at);
  return Number.isNaN(at.getTime()) ? new Date(update.created_at) : at;
}
