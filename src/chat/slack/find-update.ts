import { eq } from 'drizzle-orm';
import type { PublicUpdateView } from '../../core/incident.ts';
import { isUuid } from '../../core/model.ts';
import { loadPublicUpdates } from '../../db/incident-repository.ts';
import * as t from '../../db/schema.ts';
import type { SlackContext } from './slack-context.ts';

/** A public update with its translations, as the edit form shows it. */
export async function findUpdate(ctx: SlackContext, updateId: string): Promise<PublicUpdateView | undefined> {
  if (!isUuid(updateId)) return undefined;
  const [row] = await ctx.app.db.select({ incidentId: t.publicUpdate.incidentId }).from(t.publicUpdate).where(eq(t.publicUpdate.id, updateId));
  if (!row) return undefined;
  return (await loadPublicUpdates(ctx.app.db, row.incidentId)).find((u) => u.id === updateId);
}
