import { z } from 'zod';
import type { Executor } from '../db/client.ts';
import { defineJob, enqueueJob } from '../outbox/job-runner.ts';

/**
 * An incident changed: what shows it live (each chat platform's header) is owed a fresh
 * render. Written by every write in its own transaction (see command-runner.ts), keyed per
 * incident, so a burst of writes on one incident coalesces into a few renders — one
 * pending, at most one running — instead of one per write; rendered by the chat part.
 */
export const INCIDENT_CHANGED_JOB = defineJob({
  name: 'incident.changed',
  version: 1,
  payload: z.object({ incidentId: z.uuid() }),
  // A chat platform that is away: keep trying for about an hour, a change later re-arms it anyway.
  backoff: { baseMs: 1_000, maxMs: 5 * 60_000, maxAttempts: 20 },
});

export const incidentChangedKey = (incidentId: string) => `incident.changed:${incidentId}`;

/** Owes the incident a fresh header everywhere, committed with the caller's writes. */
export async function markIncidentChanged(tx: Executor, incidentId: string, at: Date): Promise<void> {
  await enqueueJob(tx, INCIDENT_CHANGED_JOB, { incidentId }, { key: incidentChangedKey(incidentId), runAt: at });
}

/**
 * Owes the header a fresh render for a write that changes nothing it shows but its age (an
 * internal note: the duration moves on), shortly: a render already waiting serves it, and
 * its job row is not locked, so a burst of notes on one incident does not queue on that row.
 */
export async function markIncidentTouched(tx: Executor, incidentId: string, at: Date): Promise<void> {
  // The age can wait a moment: a burst of notes is one render every TOUCH_DELAY_MS, not one per note.
  await enqueueJob(tx, INCIDENT_CHANGED_JOB, { incidentId }, { key: incidentChangedKey(incidentId), runAt: new Date(at.getTime() + TOUCH_DELAY_MS), unlessWaiting: true });
}

/** How long a render owed only for the header's age waits, gathering the notes that follow. */
export const TOUCH_DELAY_MS = 2_000;
