import { z } from 'zod';
import { type Platform, PLATFORMS } from '../core/model.ts';
import type { Executor } from '../db/client.ts';
import { defineJob, enqueueJob } from '../outbox/job-runner.ts';

/**
 * Where a command was said, as the platform needs it to open the incident's place there
 * later (Teams: the conversation's service URL, tenant, bot and ids). Opaque to use cases.
 */
export interface ChatOrigin {
  platform: Platform;
  conversation: Record<string, unknown>;
}

/**
 * The incident's place in chat is owed from where it was declared. The turn that declared
 * opens it at once; this job, committed with the declaration, is the backstop that opens it
 * if that process stopped in between (it finds the place made and does nothing otherwise).
 * Handled by the platform's part (Teams); Slack's declarations are stored requests, run again
 * whole after a crash, and need none.
 */
export const INCIDENT_PLACE_JOB = defineJob({
  name: 'incident.place',
  version: 1,
  payload: z.object({
    incidentId: z.uuid(),
    origin: z.object({ platform: z.enum(PLATFORMS), conversation: z.record(z.string(), z.unknown()) }),
  }),
});

/** How long the declaring turn has to open the place itself before the backstop looks. */
export const INCIDENT_PLACE_BACKSTOP_MS = 30_000;

export async function owePlace(tx: Executor, incidentId: string, origin: ChatOrigin, now: Date): Promise<void> {
  await enqueueJob(tx, INCIDENT_PLACE_JOB, { incidentId, origin }, { key: `incident.place:${incidentId}:${origin.platform}`, runAt: new Date(now.getTime() + INCIDENT_PLACE_BACKSTOP_MS) });
}
