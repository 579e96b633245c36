import { INCIDENT_CHANGED_JOB } from '../app/incident-changed.ts';
import type { AppContext } from '../app/context.ts';
import { findIncidentChatRef, loadSnapshot } from '../db/incident-repository.ts';
import type { I18n } from '../i18n.ts';
import type { Logger } from '../logger.ts';
import type { JobRunner } from '../outbox/job-runner.ts';
import { upsertIncidentHeader } from './incident-channel.ts';
import type { ChatPlatform } from './platform.ts';

export interface HeaderRefreshDeps {
  app: AppContext;
  i18n: I18n;
  logger: Logger;
  /** The chat platforms of the process, looked up at each run (parts register theirs when built). */
  platforms: () => readonly ChatPlatform[];
}

/**
 * Renders an incident's live header on every platform that has a place for it, from the
 * incident as it is now (however many writes the job stands for). A platform that fails
 * fails the job, which is retried with backoff; the headers already edited are edited again
 * then, which changes nothing a reader sees.
 */
export async function refreshHeaders(deps: HeaderRefreshDeps, incidentId: string): Promise<void> {
  const { app } = deps;
  let incident: Awaited<ReturnType<typeof loadSnapshot>> | null = null;
  let failure: unknown;
  for (const platform of deps.platforms()) {
    const chatRef = await findIncidentChatRef(app.db, incidentId, platform.platform);
    // No header yet: the channel is still being opened, and its opening posts one.
    if (!chatRef?.headerMessageId) continue;
    // Without its timeline: the header does not show it, and it grows with every note.
    incident ??= (await loadSnapshot(app.db, incidentId, { entries: false })) ?? null;
    if (!incident) return;
    try {
      await upsertIncidentHeader({ ...deps, platform }, chatRef, incident, { rethrow: true });
    } catch (e) {
      failure ??= e;
    }
  }
  if (failure) throw failure;
}

const registered = new WeakSet<JobRunner>();

/**
 * Registers the `incident.changed` handler on the process's job runner, once however many
 * chat parts ask (Slack's and Teams' both do): any process that talks to a chat platform
 * renders headers, for all of them.
 */
export function handleIncidentChanges(jobs: JobRunner, deps: HeaderRefreshDeps): void {
  if (registered.has(jobs)) return;
  registered.add(jobs);
  jobs.register(INCIDENT_CHANGED_JOB, ({ incidentId }) => refreshHeaders(deps, incidentId));
}
