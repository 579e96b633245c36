import { type IncidentSnapshot, isResponder } from '../core/incident.ts';
import { listOpenIncidentIds, loadSnapshot } from '../db/incident-repository.ts';
import { type CommandMeta, loadForActor } from './command-runner.ts';
import type { AppContext } from './context.ts';

/** One incident as the actor may read it (`summary`, `timeline`). */
export async function getIncident(ctx: AppContext, meta: CommandMeta, incidentId: string): Promise<IncidentSnapshot> {
  return loadForActor(ctx.db, incidentId, meta, { write: false });
}

/** Open incidents anywhere, newest first; private ones only for their responders. */
export async function listOpenIncidents(ctx: AppContext, meta: CommandMeta): Promise<IncidentSnapshot[]> {
  const ids = await listOpenIncidentIds(ctx.db);
  const snapshots = await Promise.all(ids.map((id) => loadSnapshot(ctx.db, id)));
  return snapshots.filter(
    (s): s is IncidentSnapshot => s !== undefined && (s.visibility === 'public' || isResponder(s, meta.actor.id, false)),
  );
}
