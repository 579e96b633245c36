import { DomainError } from './errors.ts';
import type { AffectedComponent, IncidentSnapshot, TimelineEntry } from './incident.ts';
import { type KeyMoment, OPEN_STATUSES, type Status } from './model.ts';

/** Orders entries the way people read them: by when it happened, then by when we learned it. */
export function compareEntries(a: Pick<TimelineEntry, 'occurredAt' | 'seq'>, b: Pick<TimelineEntry, 'occurredAt' | 'seq'>): number {
  return a.occurredAt.getTime() - b.occurredAt.getTime() || a.seq - b.seq;
}

/** The status an entry sets, if it sets one. */
function statusOf(entry: TimelineEntry): Status | undefined {
  if (entry.kind === 'declared') return 'investigating';
  if (entry.kind === 'closed') return 'closed';
  if (entry.kind === 'status' && typeof entry.data.status === 'string') return entry.data.status as Status;
  return undefined;
}

/**
 * The incident's status, derived, not assigned: the status-setting entry that occurred
 * last wins, so a back-dated entry cannot overwrite a newer status.
 */
export function deriveStatus(entries: readonly TimelineEntry[]): Status {
  let latest: { entry: TimelineEntry; status: Status } | undefined;
  for (const entry of entries) {
    const status = statusOf(entry);
    if (status && (!latest || compareEntries(entry, latest.entry) > 0)) latest = { entry, status };
  }
  return latest?.status ?? 'investigating';
}

/**
 * Checks that a person may move the incident from one status to another: open statuses
 * move freely among themselves and to `resolved`; `resolved` may be reopened; `closed`
 * is final and reached only through `close`.
 */
export function assertTransition(from: Status, to: Status): void {
  if (from === 'closed') throw new DomainError('incident_closed', {});
  if (to === 'closed') throw new DomainError('bad_transition', { from, to });
  if (from === to) throw new DomainError('same_status', { status: to });
  const allowed = from === 'resolved' ? OPEN_STATUSES : [...OPEN_STATUSES, 'resolved'];
  if (!allowed.includes(to)) throw new DomainError('bad_transition', { from, to });
}

/**
 * Refuses a back-dated status change that a later status change already overtakes: it would
 * be recorded but change nothing, and a public update drafted with it would carry the wrong
 * status. `at` is when the person says the change happened.
 */
export function assertNotOvertaken(entries: readonly TimelineEntry[], at: Date): void {
  let later: TimelineEntry | undefined;
  for (const entry of entries) {
    const status = statusOf(entry);
    if (status && entry.occurredAt.getTime() > at.getTime() && (!later || compareEntries(entry, later) > 0)) later = entry;
  }
  if (later) {
    throw new DomainError('status_overtaken', { at: at.toISOString(), status: statusOf(later)!, laterAt: later.occurredAt.toISOString() }, 'status');
  }
}

/** When impact began as far as the record knows: `started`, else `declared`, else the incident's creation. */
export function impactStart(incident: Pick<IncidentSnapshot, 'moments' | 'createdAt'>): Date {
  return incident.moments.started ?? incident.moments.declared ?? incident.createdAt;
}

/**
 * The components' impact windows after `started` moves from `oldStart` to `newStart`: a
 * window that began with the incident moves with it, and none may begin before the incident
 * did, so history bars, uptime and the postmortem follow the correction. Components added
 * later (after the new start) keep their own start. Returns only the windows that change.
 */
export function movedImpactWindows(
  components: readonly Pick<AffectedComponent, 'id' | 'since'>[],
  oldStart: Date,
  newStart: Date,
): { id: string; since: Date }[] {
  return components
    .filter((c) => c.since.getTime() !== newStart.getTime())
    .filter((c) => c.since.getTime() === oldStart.getTime() || c.since.getTime() < newStart.getTime())
    .map((c) => ({ id: c.id, since: newStart }));
}

/** The intervals a postmortem reports, each measured from the moment impact began. */
export const INTERVALS = [
  { id: 'detect', to: 'detected' },
  { id: 'declare', to: 'declared' },
  { id: 'first_public', to: 'first_public' },
  { id: 'mitigate', to: 'mitigated' },
  { id: 'resolve', to: 'resolved' },
] as const satisfies readonly { id: string; to: KeyMoment }[];
export type IntervalId = (typeof INTERVALS)[number]['id'];

export type Interval =
  | { id: IntervalId; from: KeyMoment; to: KeyMoment; ms: number }
  /** Not computable; `missing` names the key moments nobody recorded. */
  | { id: IntervalId; from: KeyMoment; to: KeyMoment; missing: KeyMoment[] };

/** Time to detect, declare, first public update, mitigate and resolve, from the recorded key moments. */
export function computeIntervals(moments: Partial<Record<KeyMoment, Date>>): Interval[] {
  return INTERVALS.map(({ id, to }) => {
    const start = moments.started;
    const end = moments[to];
    if (!start || !end) {
      const missing: KeyMoment[] = [];
      if (!start) missing.push('started');
      if (!end) missing.push(to);
      return { id, from: 'started', to, missing };
    }
    return { id, from: 'started', to, ms: end.getTime() - start.getTime() };
  });
}

/** How long impact lasted: from `started` (or `declared`) to `resolved`, or to now while it goes on. */
export function impactDuration(incident: Pick<IncidentSnapshot, 'moments'>, now: Date): number {
  const start = incident.moments.started ?? incident.moments.declared;
  if (!start) return 0;
  const end = incident.moments.resolved ?? now;
  return Math.max(0, end.getTime() - start.getTime());
}

/** When the next public update is due under the incident's cadence, or undefined when none is. */
export function nextUpdateDue(
  incident: Pick<IncidentSnapshot, 'status' | 'visibility' | 'remindMinutes' | 'moments' | 'publicUpdates'>,
  defaultMinutes: number,
): Date | undefined {
  if (incident.visibility === 'private' || !OPEN_STATUSES.includes(incident.status)) return undefined;
  const published = incident.publicUpdates
    .map((u) => u.publishedAt)
    .filter((d): d is Date => d !== null)
    .sort((a, b) => b.getTime() - a.getTime())[0];
  // Until the first public update, customers are owed one 10 minutes after declaring.
  if (!published) return incident.moments.declared && new Date(incident.moments.declared.getTime() + 10 * 60_000);
  return new Date(published.getTime() + (incident.remindMinutes ?? defaultMinutes) * 60_000);
}
