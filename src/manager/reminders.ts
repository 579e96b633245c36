import type { IncidentSnapshot } from '../core/incident.ts';
import { OPEN_STATUSES } from '../core/model.ts';

/** Minutes after declaring by which customers are owed a first public update. */
export const FIRST_PUBLIC_MINUTES = 10;

/** What the bot remembers about its reminders for one incident. */
export interface ReminderState {
  /** When the bot last nudged the channel. */
  lastNudgeAt?: Date | null | undefined;
  /** A responder's `snooze`: no reminder before this. */
  snoozedUntil?: Date | null | undefined;
}

export type ReminderKind = 'first_public' | 'cadence' | 'internal';

export interface DueReminder {
  kind: ReminderKind;
  /** When the reminder should be posted. */
  at: Date;
  /** What it is about: the declare time, the last public update, or the last internal entry. */
  since: Date;
}

const MINUTE = 60_000;

/**
 * The next reminder an incident is owed, or undefined when it is owed none (resolved,
 * closed). Public incidents: a first public update 10 minutes after declaring, then one per
 * cadence (`remind <minutes>`, else the default). Private incidents never reach customers,
 * so they get an internal reminder: nothing recorded in the timeline for a cadence. Once
 * nudged for a lapse, the next nudge waits another cadence; a snooze pushes it further.
 */
export function nextReminder(
  incident: Pick<IncidentSnapshot, 'status' | 'visibility' | 'remindMinutes' | 'moments' | 'publicUpdates' | 'entries'>,
  state: ReminderState,
  defaults: { updateReminderMinutes: number },
): DueReminder | undefined {
  if (!OPEN_STATUSES.includes(incident.status)) return undefined;
  const cadenceMs = (incident.remindMinutes ?? defaults.updateReminderMinutes) * MINUTE;
  let kind: ReminderKind;
  let since: Date | undefined;
  let at: number;
  let repeatMs = cadenceMs;
  if (incident.visibility === 'private') {
    kind = 'internal';
    since = latest(incident.entries.map((e) => e.recordedAt)) ?? incident.moments.declared;
    if (!since) return undefined;
    at = since.getTime() + cadenceMs;
  } else {
    const published = latest(incident.publicUpdates.map((u) => u.publishedAt));
    if (published) {
      kind = 'cadence';
      since = published;
      at = published.getTime() + cadenceMs;
    } else {
      kind = 'first_public';
      since = incident.moments.declared;
      if (!since) return undefined;
      at = since.getTime() + FIRST_PUBLIC_MINUTES * MINUTE;
      repeatMs = Math.min(cadenceMs, FIRST_PUBLIC_MINUTES * MINUTE);
    }
  }
  const nudged = state.lastNudgeAt?.getTime();
  if (nudged !== undefined && nudged >= at) at = nudged + repeatMs;
  const snoozed = state.snoozedUntil?.getTime();
  if (snoozed !== undefined && snoozed > at) at = snoozed;
  return { kind, at: new Date(at), since };
}

function latest(dates: readonly (Date | null)[]): Date | undefined {
  let best: Date | undefined;
  for (const d of dates) if (d && (!best || d > best)) best = d;
  return best;
}
