import { and, eq } from 'drizzle-orm';
import { DomainError } from '../core/errors.ts';
import { MAX_TEXT_LENGTH } from '../core/model.ts';
import type { Tx } from '../db/client.ts';
import * as t from '../db/schema.ts';
import { releaseTranslatedDeliveries } from '../outbox/deliveries.ts';
import { type CommandMeta, type CommandResult, loadForActor, runWrite } from './command-runner.ts';
import type { AppContext } from './context.ts';
import { markPublished } from './public-updates.ts';
import { touchIncident } from './writes.ts';

export interface UpdateReviewed {
  [key: string]: unknown;
  incidentId: string;
  number: number;
  updateId: string;
  state: 'published' | 'cancelled' | 'draft';
  /** True when the update was already in that state (a double click): nothing changed. */
  unchanged: boolean;
}

async function lockUpdate(tx: Tx, updateId: string) {
  const [update] = await tx.select().from(t.publicUpdate).where(eq(t.publicUpdate.id, updateId)).for('update');
  if (!update) throw new DomainError('update_not_found', {});
  return update;
}

/**
 * Publishes a previewed update. Idempotent: the row lock and state check make a second
 * click (or a second process) find it published and change nothing.
 */
export async function publishUpdate(ctx: AppContext, meta: CommandMeta, updateId: string): Promise<CommandResult<UpdateReviewed>> {
  return runWrite(ctx, meta, 'publish_update', undefined, async (tx, now) => {
    const update = await lockUpdate(tx, updateId);
    const incident = await loadForActor(tx, update.incidentId, meta, { write: false, requireResponder: true });
    const base = { incidentId: incident.id, number: incident.number, updateId };
    if (update.state !== 'draft') return { ...base, state: update.state as 'published' | 'cancelled', unchanged: true };
    const holdsComms = incident.roles.some((r) => r.role === 'comms' && r.userId === meta.actor.id);
    if (ctx.settings.publishApproval === 'required' && update.authorId === meta.actor.id && !holdsComms) {
      throw new DomainError('approval_required', {});
    }
    await markPublished(tx, ctx, incident, updateId, meta.actor, now);
    await touchIncident(tx, incident.id, now);
    return { ...base, state: 'published', unchanged: false };
  });
}

/** Discards a previewed update; a published one cannot be cancelled. */
export async function cancelUpdate(ctx: AppContext, meta: CommandMeta, updateId: string): Promise<CommandResult<UpdateReviewed>> {
  return runWrite(ctx, meta, 'cancel_update', undefined, async (tx) => {
    const update = await lockUpdate(tx, updateId);
    const incident = await loadForActor(tx, update.incidentId, meta, { write: false, requireResponder: true });
    const base = { incidentId: incident.id, number: incident.number, updateId };
    if (update.state === 'cancelled') return { ...base, state: 'cancelled', unchanged: true };
    if (update.state !== 'draft') throw new DomainError('update_not_draft', {});
    await tx.update(t.publicUpdate).set({ state: 'cancelled' }).where(eq(t.publicUpdate.id, updateId));
    return { ...base, state: 'cancelled', unchanged: false };
  });
}

/**
 * A person's translation for one language of a previewed update; marked `human`. On a
 * published update, a language still without any translation may be typed too (its
 * deliveries are waiting for it, or went out in the source language): it wins over the
 * machine's, and the waiting deliveries go at once.
 */
export async function editTranslation(
  ctx: AppContext,
  meta: CommandMeta,
  updateId: string,
  input: { lang: string; body: string },
): Promise<CommandResult<UpdateReviewed>> {
  const body = input.body.trim();
  if (!ctx.settings.locales.includes(input.lang)) throw new DomainError('unknown_language', { lang: input.lang });
  if (!body) throw new DomainError('missing_argument', { argument: 'text' });
  if (body.length > MAX_TEXT_LENGTH) throw new DomainError('text_too_long', { max: MAX_TEXT_LENGTH });
  return runWrite(ctx, meta, 'edit_translation', undefined, async (tx, now) => {
    const update = await lockUpdate(tx, updateId);
    const incident = await loadForActor(tx, update.incidentId, meta, { write: false, requireResponder: true });
    const existing = await tx
      .select({ lang: t.publicUpdateTranslation.lang })
      .from(t.publicUpdateTranslation)
      .where(eq(t.publicUpdateTranslation.updateId, updateId));
    const awaited = update.state === 'published' && input.lang !== update.sourceLang && !existing.some((e) => e.lang === input.lang);
    if (update.state !== 'draft' && !awaited) throw new DomainError('update_not_draft', {});
    await tx
      .insert(t.publicUpdateTranslation)
      .values({ updateId, lang: input.lang, body, origin: 'human', translator: null, updatedAt: now })
      .onConflictDoUpdate({
        target: [t.publicUpdateTranslation.updateId, t.publicUpdateTranslation.lang],
        set: { body, origin: 'human', translator: null, updatedAt: now },
      });
    if (input.lang === update.sourceLang) {
      await tx.update(t.publicUpdate).set({ body }).where(and(eq(t.publicUpdate.id, updateId)));
    }
    if (awaited) {
      const present = [...existing.map((e) => e.lang), input.lang];
      await releaseTranslatedDeliveries(tx, { updateId, present, locales: ctx.settings.locales, now });
      return { incidentId: incident.id, number: incident.number, updateId, state: 'published', unchanged: false };
    }
    return { incidentId: incident.id, number: incident.number, updateId, state: 'draft', unchanged: false };
  });
}
