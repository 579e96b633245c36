import type { TFunction } from 'i18next';
import { DateTime } from 'luxon';
import { isUnderMaintenance } from '../core/maintenance.ts';
import { IMPACTS, type Impact } from '../core/model.ts';
import { HISTORY_DAYS, type PublicComponent, type PublicIncident, type StatusData } from './data.ts';

/** Statuspage's component statuses. */
export type ComponentStatus = 'operational' | 'under_maintenance' | Impact;

/** Statuspage's page indicator and incident impact vocabulary; `maintenance` only for the page, while nothing is impaired. */
export type Indicator = 'none' | 'minor' | 'major' | 'critical' | 'maintenance';

/** An incident's impact: the indicators but `maintenance`. */
export type IncidentImpact = Exclude<Indicator, 'maintenance'>;

// Maintenance ranks above operational and below every impact: an incident during a window shows its impact.
const RANK: Record<ComponentStatus, number> = { operational: 0, under_maintenance: 0.5, degraded_performance: 1, partial_outage: 2, major_outage: 3 };
const INDICATOR_OF: Record<ComponentStatus, Indicator> = {
  operational: 'none',
  under_maintenance: 'maintenance',
  degraded_performance: 'minor',
  partial_outage: 'major',
  major_outage: 'critical',
};
const SEVERITY_INDICATOR: Record<string, IncidentImpact> = { SEV1: 'critical', SEV2: 'major', SEV3: 'minor', SEV4: 'minor' };

export function worse(a: ComponentStatus, b: ComponentStatus): ComponentStatus {
  return RANK[b] > RANK[a] ? b : a;
}

export function isOpen(incident: PublicIncident): boolean {
  return incident.publicStatus !== 'resolved';
}

/** A component's status now: the worst impact any open incident gives it, else `under_maintenance` while a maintenance naming it is in progress. */
export function componentStatus(data: StatusData, componentId: string): ComponentStatus {
  let status: ComponentStatus = 'operational';
  for (const incident of data.incidents.filter(isOpen)) {
    for (const c of incident.components) if (c.id === componentId) status = worse(status, c.impact);
  }
  if (status === 'operational' && data.maintenances?.some((m) => isUnderMaintenance(m.status) && m.components.includes(componentId))) return 'under_maintenance';
  return status;
}

/** An incident's impact, Statuspage-style: from its worst component, else from its severity. */
export function incidentImpact(incident: PublicIncident): IncidentImpact {
  if (incident.components.length === 0) return SEVERITY_INDICATOR[incident.severity] ?? 'minor';
  return INDICATOR_OF[incident.components.map((c) => c.impact as ComponentStatus).reduce(worse, 'operational')] as IncidentImpact;
}

/**
 * The page's overall indicator: the worst component, and at least `minor` while any
 * incident is open; `maintenance` (as Statuspage says) when nothing is impaired but a
 * maintenance is in progress, whether it names components or not.
 */
export function pageIndicator(data: StatusData): Indicator {
  const worst = data.components.map((c) => componentStatus(data, c.id)).reduce(worse, 'operational');
  let indicator: IncidentImpact = worst === 'under_maintenance' ? 'none' : (INDICATOR_OF[worst] as IncidentImpact);
  for (const incident of data.incidents.filter(isOpen)) {
    const impact = incidentImpact(incident);
    if (INDICATORS.indexOf(impact) > INDICATORS.indexOf(indicator)) indicator = impact;
  }
  if (indicator === 'none' && data.maintenances?.some((m) => isUnderMaintenance(m.status))) return 'maintenance';
  return indicator;
}

/** The incident impacts, least first. */
export const INDICATORS: readonly IncidentImpact[] = ['none', 'minor', 'major', 'critical'];

/** One day of a component's history. */
export interface HistoryDay {
  /** ISO date in the reader's zone. */
  date: string;
  start: Date;
  worst: ComponentStatus;
  /** Milliseconds of each impact within the day. */
  impactMs: Partial<Record<Impact, number>>;
  /** Numbers of the incidents that touched the day. */
  incidents: PublicIncident[];
}

export interface ComponentHistory {
  component: PublicComponent;
  days: HistoryDay[];
  /** 0..1 over the whole period: major outage counts fully, partial outage 30 %, degraded performance not at all (as Statuspage does). */
  uptime: number;
}

const DOWNTIME_WEIGHT: Record<Impact, number> = { degraded_performance: 0, partial_outage: 0.3, major_outage: 1 };

/**
 * 90 days of uptime per component, in a reader's zone, computed from impact windows: each
 * incident_component row counts from its `since` to the incident's resolution (or now).
 */
export function componentHistory(data: StatusData, zone: string, days = HISTORY_DAYS): ComponentHistory[] {
  const now = data.readAt.getTime();
  const today = DateTime.fromJSDate(data.readAt).setZone(zone).startOf('day');
  const dayStarts = Array.from({ length: days }, (_, i) => today.minus({ days: days - 1 - i }));
  const periodStart = dayStarts[0]!.toMillis();
  return data.components.map((component) => {
    const windows = data.incidents.flatMap((incident) =>
      incident.components
        .filter((c) => c.id === component.id)
        .map((c) => ({ incident, impact: c.impact, from: c.since.getTime(), to: (incident.impactEndedAt ?? incident.resolvedAt)?.getTime() ?? now })),
    );
    let weighted = 0;
    const result: HistoryDay[] = dayStarts.map((start) => {
      const from = start.toMillis();
      const to = Math.min(start.plus({ days: 1 }).toMillis(), now);
      const impactMs: Partial<Record<Impact, number>> = {};
      let worst: ComponentStatus = 'operational';
      const touched = new Set<PublicIncident>();
      for (const impact of IMPACTS) {
        const spans = windows.filter((w) => w.impact === impact).map((w) => [Math.max(w.from, from), Math.min(w.to, to)] as const);
        const ms = unionLength(spans.filter(([a, b]) => b > a));
        if (ms > 0) {
          impactMs[impact] = ms;
          worst = worse(worst, impact);
          for (const w of windows) if (w.impact === impact && Math.min(w.to, to) > Math.max(w.from, from)) touched.add(w.incident);
        }
      }
      weighted += IMPACTS.reduce((sum, impact) => sum + (impactMs[impact] ?? 0) * DOWNTIME_WEIGHT[impact], 0);
      return { date: start.toISODate()!, start: start.toJSDate(), worst, impactMs, incidents: [...touched] };
    });
    const total = Math.max(1, now - periodStart);
    return { component, days: result, uptime: Math.max(0, 1 - weighted / total) };
  });
}

/** Length of the union of intervals, so two overlapping incidents are not counted twice. */
function unionLength(spans: (readonly [number, number])[]): number {
  const sorted = [...spans].sort((a, b) => a[0] - b[0]);
  let total = 0;
  let end = -Infinity;
  for (const [a, b] of sorted) {
    if (b <= end) continue;
    total += b - Math.max(a, end);
    end = b;
  }
  return total;
}

/** A component's name in a language, falling back to its source name. */
export function nameIn(component: Pick<PublicComponent, 'name' | 'names'>, lang: string): string {
  return component.names[lang] ?? component.name;
}

/** An update's text in a language: its approved translation, else the source text. */
export function bodyIn(update: { body: string; bodies: Record<string, string> }, lang: string): string {
  return update.bodies[lang] ?? update.body;
}

/**
 * The label that goes before an update's text shown untranslated on a page in `lang`
 * ("原文（英語）:"), naming the source language in `lang`; undefined when the text is in `lang`.
 * A reader must never take another language's text for a translation.
 */
export function originalLabel(update: { sourceLang: string; bodies: Record<string, string> }, lang: string, t: TFunction): string | undefined {
  if (update.bodies[lang] !== undefined) return undefined;
  let language = update.sourceLang;
  try {
    language = new Intl.DisplayNames([lang], { type: 'language' }).of(update.sourceLang) ?? language;
  } catch {
    // an unknown tag keeps its code
  }
  return t('public:update.original', { language });
}
