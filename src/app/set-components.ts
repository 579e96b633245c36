import { eq } from 'drizzle-orm';
import { DomainError } from '../core/errors.ts';
import type { Impact } from '../core/model.ts';
import * as t from '../db/schema.ts';
import { type CommandMeta, type CommandResult, loadForActor, runWrite } from './command-runner.ts';
import { ensureComponents } from './components.ts';
import type { AppContext } from './context.ts';
import { DEFAULT_IMPACT } from './declare-incident.ts';
import { addResponder, appendEntry, touchIncident } from './writes.ts';

export interface ComponentsSet {
  [key: string]: unknown;
  incidentId: string;
  number: number;
  components: { id: string; name: string; names: Record<string, string>; impact: Impact }[];
}

/**
 * Sets the impact of the named components (adding them to the incident if needed); the
 * other affected components keep theirs, so raising one never silently drops another.
 */
export async function setComponents(
  ctx: AppContext,
  meta: CommandMeta,
  incidentId: string,
  input: { components: string[]; impact?: Impact },
): Promise<CommandResult<ComponentsSet>> {
  const ids = [...new Set(input.components)];
  if (ids.length === 0) throw new DomainError('missing_argument', { argument: 'components' }, 'components');
  return runWrite(ctx, meta, 'components', incidentId, async (tx, now) => {
    const incident = await loadForActor(tx, incidentId, meta, { write: true });
    await ensureComponents(tx, ctx, ids, now);
    const impactOf = (id: string) => input.impact ?? incident.components.find((c) => c.id === id)?.impact ?? DEFAULT_IMPACT;
    for (const componentId of ids) {
      const impact = impactOf(componentId);
      await tx
        .insert(t.incidentComponent)
        .values({ incidentId, componentId, impact, since: now })
        .onConflictDoUpdate({ target: [t.incidentComponent.incidentId, t.incidentComponent.componentId], set: { impact } });
    }
    const rows = await tx
      .select({ id: t.component.id, name: t.component.name, names: t.component.names, impact: t.incidentComponent.impact })
      .from(t.incidentComponent)
      .innerJoin(t.component, eq(t.component.id, t.incidentComponent.componentId))
      .where(eq(t.incidentComponent.incidentId, incidentId));
    const changed = rows.filter((r) => ids.includes(r.id)).map((r) => ({ ...r, impact: r.impact as Impact }));
    await appendEntry(tx, ctx, incidentId, {
      kind: 'component',
      actor: meta.actor,
      occurredAt: now,
      recordedAt: now,
      data: { components: changed.map(({ id, name, impact }) => ({ id, name, impact })) },
    });
    await addResponder(tx, incidentId, meta.actor, now);
    await touchIncident(tx, incidentId, now);
    return {
      incidentId,
      number: incident.number,
      components: rows.map((r) => ({ ...r, impact: r.impact as Impact })).sort((a, b) => a.id.localeCompare(b.id)),
    };
  });
}
