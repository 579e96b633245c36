import { sql } from 'drizzle-orm';
import { DomainError } from '../core/errors.ts';
import { type Impact, MAX_TEXT_LENGTH, MAX_TITLE_LENGTH, type Severity, type Visibility } from '../core/model.ts';
import { rowsOf } from '../db/client.ts';
import * as t from '../db/schema.ts';
import { type CommandMeta, type CommandResult, runWrite } from './command-runner.ts';
import { owePlace } from './incident-place.ts';
import { ensureComponents } from './components.ts';
import type { AppContext } from './context.ts';
import { addResponder, appendEntry, occurredAt, setMoment } from './writes.ts';

export interface DeclareInput {
  title: string;
  severity?: Severity;
  components?: string[];
  impact?: Impact;
  visibility?: Visibility;
  started?: Date;
  summary?: string;
}

export interface Declared {
  [key: string]: unknown;
  incidentId: string;
  number: number;
  title: string;
}

/** Impact given to components named at declare time when nobody said otherwise. */
export const DEFAULT_IMPACT: Impact = 'partial_outage';
export const DEFAULT_SEVERITY: Severity = 'SEV3';

/** Declares an incident: numbered, timestamped, its declarer commander until someone else is assigned. */
export async function declareIncident(ctx: AppContext, meta: CommandMeta, input: DeclareInput): Promise<CommandResult<Declared>> {
  const title = input.title.trim();
  if (!title) throw new DomainError('missing_argument', { argument: 'title' }, 'declare');
  if (title.length > MAX_TITLE_LENGTH) throw new DomainError('text_too_long', { max: MAX_TITLE_LENGTH }, 'declare');
  if ((input.summary?.length ?? 0) > MAX_TEXT_LENGTH) throw new DomainError('text_too_long', { max: MAX_TEXT_LENGTH }, 'declare');
  const components = [...new Set(input.components ?? [])];

  return runWrite(ctx, meta, 'declare', undefined, async (tx, now) => {
    const started = input.started && occurredAt(input.started, now, 'declare');
    const [row] = rowsOf<{ number: number }>(await tx.execute(sql`select nextval('incident_number_seq')::int as number`));
    const number = Number(row!.number);
    const incidentId = ctx.newId();
    const severity = input.severity ?? DEFAULT_SEVERITY;
    const visibility = input.visibility ?? 'public';
    await tx.insert(t.incident).values({
      id: incidentId,
      number,
      title,
      summary: input.summary?.trim() || null,
      severity,
      status: 'investigating',
      visibility,
      declaredBy: meta.actor.id,
      declaredByName: meta.actor.name,
      sourceLang: meta.actor.lang,
      createdAt: now,
      updatedAt: now,
    });
    if (meta.origin) await owePlace(tx, incidentId, meta.origin, now);
    const actor = meta.actor;
    await appendEntry(tx, ctx, incidentId, {
      kind: 'declared',
      actor,
      occurredAt: now,
      recordedAt: now,
      text: title,
      sourceLang: actor.lang,
      data: { severity, visibility, components },
    });
    await setMoment(tx, incidentId, 'declared', now, actor.id, now);
    if (started) {
      await setMoment(tx, incidentId, 'started', started, actor.id, now);
      await appendEntry(tx, ctx, incidentId, {
        kind: 'moment',
        actor,
        occurredAt: started,
        recordedAt: now,
        data: { moment: 'started', at: started.toISOString() },
      });
    }
    if (components.length > 0) {
      await ensureComponents(tx, ctx, components, now);
      const impact = input.impact ?? DEFAULT_IMPACT;
      await tx
        .insert(t.incidentComponent)
        .values(components.map((componentId) => ({ incidentId, componentId, impact, since: started ?? now })));
    }
    await tx.insert(t.incidentRole).values({ incidentId, role: 'commander', userId: actor.id, userName: actor.name, assignedAt: now });
    await addResponder(tx, incidentId, actor, now);
    return { incidentId, number, title };
  });
}
