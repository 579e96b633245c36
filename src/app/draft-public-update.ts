import { type CommandMeta, type CommandResult, loadForActor, runWrite } from './command-runner.ts';
import type { AppContext } from './context.ts';
import { createPublicUpdate, type UpdateDrafted } from './public-updates.ts';
import { addResponder } from './writes.ts';

export interface PublicUpdateCreated extends UpdateDrafted {
  incidentId: string;
  number: number;
  status: string;
}

/** `publish <text>`: a public update at the current status, previewed unless PUBLISH_APPROVAL=off. */
export async function draftPublicUpdate(
  ctx: AppContext,
  meta: CommandMeta,
  incidentId: string,
  input: { text: string },
): Promise<CommandResult<PublicUpdateCreated>> {
  return runWrite(ctx, meta, 'publish', incidentId, async (tx, now) => {
    // After close a final public word is still allowed, without reopening; it reads as resolved.
    const incident = await loadForActor(tx, incidentId, meta, { write: true, requireResponder: true, allowClosed: true });
    const status = incident.status === 'closed' ? 'resolved' : incident.status;
    const drafted = await createPublicUpdate(tx, ctx, incident, { status, body: input.text, actor: meta.actor, now });
    await addResponder(tx, incidentId, meta.actor, now);
    return { ...drafted, incidentId, number: incident.number, status };
  });
}
