import { and, eq, sql } from 'drizzle-orm';
import { DomainError } from '../core/errors.ts';
import type { IncidentSnapshot } from '../core/incident.ts';
import { type Actor, MAX_TEXT_LENGTH, type Status } from '../core/model.ts';
import type { Tx } from '../db/client.ts';
import { sourceLanguageOf } from '../translate/detect-language.ts';
import * as t from '../db/schema.ts';
import { enqueueUpdateDeliveries } from '../outbox/deliveries.ts';
import { enqueueJob } from '../outbox/job-runner.ts';
import type { AppContext } from './context.ts';
import { TRANSLATE_PUBLIC_UPDATE_JOB, translateJobKey } from './translate-public-update.ts';
import { appendEntry, setMoment } from './writes.ts';

/** TRANSLATION_WAIT_SECONDS when the settings do not say. */
export const DEFAULT_TRANSLATION_WAIT_SECONDS = 30;

export interface UpdateDrafted {
  [key: string]: unknown;
  updateId: string;
  state: 'draft' | 'published';
  /** Configured languages that have no translation yet (the preview says so). */
  missingLangs: string[];
}

/**
 * Writes a public update in its source language; with PUBLISH_APPROVAL=off it is published
 * at once, otherwise it waits as a draft for Publish in the preview.
 */
export async function createPublicUpdate(
  tx: Tx,
  ctx: AppContext,
  incident: IncidentSnapshot,
  input: { status: Status; body: string; actor: Actor; now: Date },
): Promise<UpdateDrafted> {
  if (incident.visibility === 'private') throw new DomainError('private_incident', { ref: `INC-${incident.number}` });
  const body = input.body.trim();
  if (!body) throw new DomainError('missing_argument', { argument: 'text' }, 'publish');
  if (body.length > MAX_TEXT_LENGTH) throw new DomainError('text_too_long', { max: MAX_TEXT_LENGTH }, 'publish');
  const updateId = ctx.newId();
  // The author's locale, unless the text is plainly in another configured language's script.
  const sourceLang = sourceLanguageOf(body, input.actor.lang, ctx.settings.locales);
  await tx.insert(t.publicUpdate).values({
    id: updateId,
    incidentId: incident.id,
    status: input.status,
    body,
    sourceLang,
    state: 'draft',
    authorId: input.actor.id,
    authorName: input.actor.name,
    createdAt: input.now,
  });
  // The author's own words are the source-language text: written by a human.
  await tx.insert(t.publicUpdateTranslation).values({
    updateId,
    lang: sourceLang,
    body,
    origin: 'human',
    translator: null,
    updatedAt: input.now,
  });
  const missingLangs = ctx.settings.locales.filter((l) => l !== sourceLang);
  if (ctx.settings.publishApproval === 'off') {
    await markPublished(tx, ctx, incident, updateId, input.actor, input.now);
    return { updateId, state: 'published', missingLangs };
  }
  return { updateId, state: 'draft', missingLangs };
}

/**
 * Publishes a draft as one unit: every translation becomes `approved`, the timeline gets
 * the update, and the first one sets the `first_public` key moment.
 */
export async function markPublished(
  tx: Tx,
  ctx: AppContext,
  incident: IncidentSnapshot,
  updateId: string,
  actor: Actor,
  now: Date,
): Promise<void> {
  const [update] = await tx
    .update(t.publicUpdate)
    .set({ state: 'published', publishedAt: now, approvedBy: actor.id })
    .where(and(eq(t.publicUpdate.id, updateId), eq(t.publicUpdate.state, 'draft')))
    .returning();
  if (!update) throw new DomainError('update_not_draft', {});
  await tx
    .update(t.publicUpdateTranslation)
    .set({ origin: 'approved', updatedAt: now })
    .where(eq(t.publicUpdateTranslation.updateId, updateId));
  await appendEntry(tx, ctx, incident.id, {
    kind: 'public_update',
    actor: { id: update.authorId, name: update.authorName },
    occurredAt: now,
    recordedAt: now,
    text: update.body,
    sourceLang: update.sourceLang,
    data: { updateId, status: update.status, approvedBy: actor.id, approvedByName: actor.name },
  });
  // Two publishes racing in two processes: the earliest keeps the moment, whoever commits last.
  if (!incident.moments.first_public) await setMoment(tx, incident.id, 'first_public', now, actor.id, now, { keepEarliest: true });
  // The outbox: deliveries commit with the publish, so none is lost and none is sent for a rolled-back update.
  // A language without its translation yet has its deliveries wait for it (TRANSLATION_WAIT_SECONDS),
  // and a configured translator is asked for it by a job that commits with the publish too.
  const present = await tx.select({ lang: t.publicUpdateTranslation.lang }).from(t.publicUpdateTranslation).where(eq(t.publicUpdateTranslation.updateId, updateId));
  const missing = ctx.settings.locales.filter((lang) => !present.some((p) => p.lang === lang));
  const until = new Date(now.getTime() + (ctx.settings.translationWaitSeconds ?? DEFAULT_TRANSLATION_WAIT_SECONDS) * 1000);
  await enqueueUpdateDeliveries(tx, {
    updateId,
    incidentId: incident.id,
    componentIds: incident.components.map((c) => c.id),
    now,
    wait: { missing, locales: ctx.settings.locales, until },
  });
  if (missing.length > 0 && ctx.translator) {
    await enqueueJob(tx, TRANSLATE_PUBLIC_UPDATE_JOB, { updateId }, { key: translateJobKey(updateId), runAt: now });
  }
  // Delivered at commit to every process's status page (LISTEN tsuiki_status), which re-renders at once.
  await tx.execute(sql`select pg_notify('tsuiki_status', ${updateId})`);
}
