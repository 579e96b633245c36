import { eq } from 'drizzle-orm';
import * as t from '../db/schema.ts';
import type { TranslationOutcome } from '../translate/translation-service.ts';
import type { AppContext } from './context.ts';

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
  const outcomes = await Promise.all(
    wanted.map(async (lang) => [lang, await service.translate(ctx.db, source, update.sourceLang, lang, ctx.clock.now())] as const),
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
    return { filled: inserted, stale: false };
  });
  // A language whose insert found a row was filled by someone else meanwhile: present all the same.
  const present = new Set([...existing.map((e) => e.lang), ...(stale ? [] : done.map((d) => d.lang))]);
  return { filled, missing: ctx.settings.locales.filter((lang) => !present.has(lang)), failures };
}
