import { eq, inArray } from 'drizzle-orm';
import { z } from 'zod';
import type { Executor } from '../db/client.ts';
import * as t from '../db/schema.ts';
import { releaseTranslatedDeliveries } from '../outbox/deliveries.ts';
import { defineJob } from '../outbox/job-runner.ts';
import type { GlossaryTerm } from '../translate/glossary.ts';
import type { TranslationOutcome } from '../translate/translation-service.ts';
import type { AppContext } from './context.ts';

/**
 * Fills a published update's missing translations: enqueued in the publishing transaction
 * whenever a translator is configured and a language is missing, so the translation happens
 * even when the process that published dies right after. Retried with backoff while the
 * translator fails (its deliveries go out in the source language meanwhile, the translation
 * follows); a person's translation, typed meanwhile, is never overwritten.
 */
export const TRANSLATE_PUBLIC_UPDATE_JOB = defineJob({
  name: 'translate.public_update',
  version: 1,
  payload: z.object({ updateId: z.uuid() }),
  backoff: { baseMs: 2_000, maxMs: 10 * 60_000, maxAttempts: 40 },
});

/** The job key: one pending translation job per update. */
export const translateJobKey = (updateId: string) => `translate:${updateId}`;

/** Runs the job: throws while a language is still missing because the translator failed, so it is tried again. */
export async function runTranslateJob(ctx: AppContext, payload: { updateId: string }): Promise<void> {
  const result = await translatePublicUpdate(ctx, payload.updateId);
  const failed = Object.entries(result.failures).filter(([lang]) => result.missing.includes(lang));
  if (failed.length > 0) throw new Error(`translation of ${payload.updateId} failed: ${failed.map(([lang, reason]) => `${lang} ${reason}`).join(', ')}`);
}

/**
 * A followed vendor's component names (recorded on the incident's upstream marker at import),
 * as glossary terms: kept in the vendor's spelling in every language, unless COMPONENTS_FILE
 * names the component (by the id the import gave it) per language.
 */
export async function vendorTerms(db: Executor, upstream: unknown): Promise<GlossaryTerm[]> {
  const listed = (upstream as { components?: unknown } | null)?.components;
  if (!Array.isArray(listed)) return [];
  const vendor = listed.filter((c): c is { id: string; name: string } => typeof c?.id === 'string' && typeof c?.name === 'string');
  if (vendor.length === 0) return [];
  const rows = await db
    .select({ id: t.component.id, names: t.component.names })
    .from(t.component)
    .where(inArray(t.component.id, vendor.map((c) => c.id)));
  const names = new Map(rows.map((r) => [r.id, r.names]));
  return vendor.map((c) => ({ term: c.name, names: { ...names.get(c.id) } }));
}

export interface TranslationsFilled {
  /** Languages that got a machine translation now. */
  filled: string[];
  /** Languages still without any translation (the preview says so); a person types them or a re-render retries. */
  missing: string[];
  /** Why each missing language failed, when a translator was asked. */
  failures: Record<string, Extract<TranslationOutcome, { ok: false }>['reason']>;
}

/**
 * Fills machine translations for every configured language of a public update that has
 * none, marked `machine`. Runs after the update's own transaction has committed: the
 * translator is never called while a transaction is open, and an existing translation —
 * a person's above all — is never overwritten. A published update (PUBLISH_APPROVAL=off)
 * is filled too, so its missing languages catch up after the source-language publish.
 */
export async function translatePublicUpdate(ctx: AppContext, updateId: string): Promise<TranslationsFilled> {
  const [update] = await ctx.db.select().from(t.publicUpdate).where(eq(t.publicUpdate.id, updateId));
  if (!update || update.state === 'cancelled') return { filled: [], missing: [], failures: {} };
  const existing = await ctx.db.select().from(t.publicUpdateTranslation).where(eq(t.publicUpdateTranslation.updateId, updateId));
  const wanted = ctx.settings.locales.filter((lang) => !existing.some((e) => e.lang === lang));
  const service = ctx.translator;
  if (!service || wanted.length === 0) return { filled: [], missing: wanted, failures: {} };

  // The source text as it stands now: a person may have corrected it with Edit translation.
  const source = existing.find((e) => e.lang === update.sourceLang)?.body ?? update.body;
  const [incident] = await ctx.db.select({ upstream: t.incident.upstream }).from(t.incident).where(eq(t.incident.id, update.incidentId));
  const terms = await vendorTerms(ctx.db, incident?.upstream ?? null);
  const outcomes = await Promise.all(
    wanted.map(async (lang) => [lang, await service.translate(ctx.db, source, update.sourceLang, lang, ctx.clock.now(), { terms })] as const),
  );
  const failures: TranslationsFilled['failures'] = {};
  const done: { lang: string; body: string }[] = [];
  for (const [lang, outcome] of outcomes) {
    if (outcome.ok) done.push({ lang, body: outcome.text });
    else failures[lang] = outcome.reason;
  }

  const { filled, stale } = await ctx.db.transaction(async (tx) => {
    const [current] = await tx.select().from(t.publicUpdate).where(eq(t.publicUpdate.id, updateId)).for('update');
    // Cancelled, or the source edited while we translated: these translations are of another text.
    if (!current || current.state === 'cancelled' || current.body !== update.body) return { filled: [], stale: true };
    const inserted: string[] = [];
    const now = ctx.clock.now();
    for (const { lang, body } of done) {
      const rows = await tx
        .insert(t.publicUpdateTranslation)
        .values({ updateId, lang, body, origin: 'machine', translator: service.name, updatedAt: now })
        .onConflictDoNothing()
        .returning({ lang: t.publicUpdateTranslation.lang });
      if (rows.length) inserted.push(lang);
    }
    // Deliveries waiting for these languages go now; those sent in the source language get their follow-up.
    if (inserted.length > 0 && current.state === 'published') {
      const present = await tx.select({ lang: t.publicUpdateTranslation.lang }).from(t.publicUpdateTranslation).where(eq(t.publicUpdateTranslation.updateId, updateId));
      await releaseTranslatedDeliveries(tx, { updateId, present: present.map((p) => p.lang), locales: ctx.settings.locales, now });
    }
    return { filled: inserted, stale: false };
  });
  // A language whose insert found a row was filled by someone else meanwhile: present all the same.
  const present = new Set([...existing.map((e) => e.lang), ...(stale ? [] : done.map((d) => d.lang))]);
  return { filled, missing: ctx.settings.locales.filter((lang) => !present.has(lang)), failures };
}
