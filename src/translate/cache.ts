import { createHash } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import * as t from '../db/schema.ts';

/** What decides a machine translation; equal keys give equal results, so the first is reused. */
export interface CacheKey {
  text: string;
  sourceLang: string;
  targetLang: string;
  translator: string;
  glossaryVersion: string;
}

export function textHash(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

function where(key: CacheKey) {
  return and(
    eq(t.translationCache.textHash, textHash(key.text)),
    eq(t.translationCache.sourceLang, key.sourceLang),
    eq(t.translationCache.targetLang, key.targetLang),
    eq(t.translationCache.translator, key.translator),
    eq(t.translationCache.glossaryVersion, key.glossaryVersion),
  );
}

/** A translation made before under the same key, if any. */
export async function readCachedTranslation(db: Db, key: CacheKey): Promise<string | undefined> {
  const [row] = await db.select({ translated: t.translationCache.translated }).from(t.translationCache).where(where(key));
  return row?.translated;
}

/** Stores a verified translation; two processes racing store the same key once. */
export async function writeCachedTranslation(db: Db, key: CacheKey, translated: string, now: Date): Promise<void> {
  await db
    .insert(t.translationCache)
    .values({
      textHash: textHash(key.text),
      sourceLang: key.sourceLang,
      targetLang: key.targetLang,
      translator: key.translator,
      glossaryVersion: key.glossaryVersion,
      translated,
      createdAt: now,
    })
    .onConflictDoNothing();
}
