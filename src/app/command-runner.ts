import { eq } from 'drizzle-orm';
import { DomainError } from '../core/errors.ts';
import { type IncidentSnapshot, isResponder, type IncidentHead } from '../core/incident.ts';
import type { Actor } from '../core/model.ts';
import type { Tx } from '../db/client.ts';
import { isDatabaseUnavailable } from '../db/errors.ts';
import { loadIncidentHead, loadSnapshot } from '../db/incident-repository.ts';
import * as t from '../db/schema.ts';
import type { AppContext } from './context.ts';
import { markIncidentChanged, markIncidentTouched } from './incident-changed.ts';
import type { ChatOrigin } from './incident-place.ts';

/** The zone a person's typed times are read in: their own, else the team's. */
export function actorZone(ctx: Pick<AppContext, 'settings'>, actor: Actor): string {
  return actor.timeZone ?? ctx.settings.teamTimeZone;
}

/** Who asks, from where, and under which retry key. */
export interface CommandMeta {
  actor: Actor;
  /** Caller-supplied; a second command with the same key records nothing and gets the first result. */
  idempotencyKey?: string;
  /** True when the command was said in the incident's own channel. */
  inIncidentChannel?: boolean;
  /** Where the command was said, for a declaration whose place in chat opens there (see incident-place.ts). */
  origin?: ChatOrigin;
  /**
   * More writes in the command's own transaction (an alert's group link and moments):
   * committed with the command's or not at all, not run again on a replay.
   */
  enqueue?: (tx: Tx, write: { verb: string; incidentId: string | undefined }) => Promise<void>;
}

/** JSON-safe outcome of a write; stored with the receipt so a retry replays it. */
export type Outcome = { [key: string]: unknown };

export interface CommandResult<O extends Outcome> {
  outcome: O;
  /** True when this was a retry answered from the stored receipt. */
  replayed: boolean;
}

/** How long a command waits before asking the database again after losing its connection. */
export const RETRY_AFTER_LOST_CONNECTION_MS = 1_000;

/**
 * Runs one write command in one transaction: the idempotency receipt, the writes and the
 * audit event commit together or not at all, so a retried command records nothing new
 * and a failed one leaves nothing half-recorded.
 *
 * When the connection is lost mid-command, whether the COMMIT went through is unknown. A
 * command with a retry key is then asked once more after a pause: one that did commit is
 * answered from its receipt, one that did not is recorded now, and only when the database
 * is still away does the caller hear "not recorded" — which is then true.
 */
export async function runWrite<O extends Outcome>(
  ctx: AppContext,
  meta: CommandMeta,
  verb: string,
  incidentId: string | undefined,
  work: (tx: Tx, now: Date) => Promise<O>,
  options: WriteOptions = {},
): Promise<CommandResult<O>> {
  try {
    return await writeOnce(ctx, meta, verb, incidentId, work, options);
  } catch (e) {
    if (!meta.idempotencyKey || !isDatabaseUnavailable(e)) throw e;
    await new Promise((resolve) => setTimeout(resolve, RETRY_AFTER_LOST_CONNECTION_MS));
    return writeOnce(ctx, meta, verb, incidentId, work, options);
  }
}

export interface WriteOptions {
  /**
   * `touched` for a write that changes nothing the incident's live header shows but its age
   * (an internal note: the header never shows the timeline): an `incident.changed` job already
   * waiting serves it, without the lock on that job's row every such write would queue on.
   */
  header?: 'changed' | 'touched';
}

async function writeOnce<O extends Outcome>(
  ctx: AppContext,
  meta: CommandMeta,
  verb: string,
  incidentId: string | undefined,
  work: (tx: Tx, now: Date) => Promise<O>,
  options: WriteOptions,
): Promise<CommandResult<O>> {
  return ctx.db.transaction(async (tx) => {
    const now = ctx.clock.now();
    if (meta.idempotencyKey) {
      const inserted = await tx
        .insert(t.commandReceipt)
        .values({ key: meta.idempotencyKey, verb, incidentId, result: {}, createdAt: now })
        .onConflictDoNothing()
        .returning({ key: t.commandReceipt.key });
      if (inserted.length === 0) {
        const [receipt] = await tx.select().from(t.commandReceipt).where(eq(t.commandReceipt.key, meta.idempotencyKey));
        if (receipt?.verb !== verb) throw new DomainError('conflict', { key: meta.idempotencyKey });
        return { outcome: receipt.result as O, replayed: true };
      }
    }
    const outcome = await work(tx, now);
    const resultIncidentId = incidentId ?? (typeof outcome.incidentId === 'string' ? outcome.incidentId : undefined);
    // Independent statements, sent together: on PostgreSQL one round trip instead of three,
    // while the incident's row lock is held (every other write to it waits for the commit).
    await Promise.all([
      meta.idempotencyKey
        ? tx.update(t.commandReceipt).set({ result: outcome, incidentId: resultIncidentId }).where(eq(t.commandReceipt.key, meta.idempotencyKey))
        : undefined,
      tx.insert(t.auditEvent).values({
        at: now,
        actorPlatform: meta.actor.platform,
        actorId: meta.actor.id,
        action: verb,
        incidentId: resultIncidentId,
        detail: { actorName: meta.actor.name, outcome },
      }),
      resultIncidentId ? (options.header === 'touched' ? markIncidentTouched : markIncidentChanged)(tx, resultIncidentId, now) : undefined,
    ]);
    await meta.enqueue?.(tx, { verb, incidentId: resultIncidentId });
    return { outcome, replayed: false };
  });
}

/**
 * Loads an incident the actor may act on. A private incident is reported as not found to
 * non-responders, so its existence does not leak.
 */
export async function loadForActor(
  tx: Tx | AppContext['db'],
  incidentId: string,
  meta: CommandMeta,
  options: LoadOptions,
): Promise<IncidentSnapshot> {
  // Writers lock the row first, so two concurrent commands on one incident see each other's writes.
  if (options.write) await tx.select({ id: t.incident.id }).from(t.incident).where(eq(t.incident.id, incidentId)).for('update');
  return authorized(await loadSnapshot(tx, incidentId), incidentId, meta, options);
}

/**
 * {@link loadForActor} without the incident's growing parts (timeline, public updates,
 * actions, components): for writes that only append, so the time they hold the row lock
 * does not grow with the timeline — on a busy incident every note waits for the one before.
 */
export async function loadHeadForActor(tx: Tx | AppContext['db'], incidentId: string, meta: CommandMeta, options: LoadOptions): Promise<IncidentHead> {
  if (!options.write) return authorized(await loadIncidentHead(tx, incidentId), incidentId, meta, options);
  // Sent together: PostgreSQL runs them in order on the transaction's connection, so the reads
  // still come after the lock, and the lock is held one round trip less. An append-only write
  // (`shared`) takes a share lock: appends run side by side, while a write that changes the
  // incident (status, close: FOR UPDATE) waits for them and they for it.
  const lock = options.shared ? 'share' : 'update';
  const [, head] = await Promise.all([tx.select({ id: t.incident.id }).from(t.incident).where(eq(t.incident.id, incidentId)).for(lock).execute(), loadIncidentHead(tx, incidentId)]);
  return authorized(head, incidentId, meta, options);
}

interface LoadOptions {
  write: boolean;
  /** A write that only appends to the incident and never updates its row: a share lock (see loadHeadForActor). */
  shared?: boolean;
  requireResponder?: boolean;
  allowClosed?: boolean;
}

function authorized<I extends IncidentHead>(incident: I | undefined, incidentId: string, meta: CommandMeta, options: LoadOptions): I {
  if (!incident) throw new DomainError('incident_not_found', { ref: incidentId });
  const responder = isResponder(incident, meta.actor.id, meta.inIncidentChannel ?? false);
  if (incident.visibility === 'private' && !responder) {
    throw new DomainError('incident_not_found', { ref: `INC-${incident.number}` });
  }
  if (options.requireResponder && !responder) throw new DomainError('not_responder', { ref: `INC-${incident.number}` });
  // `reopen` and a final `publish` act on a closed incident on purpose; every other write is refused.
  if (options.write && !options.allowClosed && incident.status === 'closed') throw new DomainError('incident_closed', { ref: `INC-${incident.number}` });
  return incident;
}
