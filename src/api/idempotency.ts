import { createHash } from 'node:crypto';
import { and, eq, isNull } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import * as t from '../db/schema.ts';

/**
 * How long a key whose first request has not answered counts as still running. Past it, the
 * first request is taken to have died (a crash) and a retry runs the command again — which
 * records nothing twice: the command carries a receipt key derived from the same key (see
 * {@link receiptKey}), committed with its writes, so a command that did commit is answered
 * from its receipt.
 */
export const IN_PROGRESS_MS = 30_000;

/** Longest Idempotency-Key accepted (a UUID is 36). */
export const MAX_KEY_LENGTH = 255;

/** An answer as it is stored and replayed. */
export interface StoredAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export type Claim =
  | { kind: 'claimed' }
  | { kind: 'replay'; answer: StoredAnswer }
  /** The key was used with another request (method, path or body). */
  | { kind: 'mismatch' }
  /** The first request with this key is still running. */
  | { kind: 'in_progress' };

/** A request's fingerprint: method, path and body, so the same key on another request is refused. */
export function requestHash(method: string, path: string, body: string): string {
  return createHash('sha256').update(`${method}\n${path}\n${body}`, 'utf8').digest('hex');
}

/** The command receipt key of a request under an Idempotency-Key: per token, so two callers' keys never meet. */
export function receiptKey(tokenId: string, key: string): string {
  return `api:${tokenId}:${key}`;
}

/**
 * Claims a key for a request, or says why not. The claim is its own statement, committed at
 * once, so a concurrent duplicate sees it while the first request is still running.
 */
export async function claimKey(db: Db, input: { tokenId: string; key: string; hash: string; now: Date }): Promise<Claim> {
  const inserted = await db
    .insert(t.apiIdempotency)
    .values({ tokenId: input.tokenId, key: input.key, requestHash: input.hash, createdAt: input.now })
    .onConflictDoNothing()
    .returning({ key: t.apiIdempotency.key });
  if (inserted.length > 0) return { kind: 'claimed' };
  const where = and(eq(t.apiIdempotency.tokenId, input.tokenId), eq(t.apiIdempotency.key, input.key));
  const [row] = await db.select().from(t.apiIdempotency).where(where);
  // Released between our insert and this read: the first request failed; this one may run.
  if (!row) return claimKey(db, input);
  if (row.requestHash !== input.hash) return { kind: 'mismatch' };
  if (row.status !== null) return { kind: 'replay', answer: { status: row.status, headers: row.headers ?? {}, body: row.body ?? '' } };
  if (input.now.getTime() - row.createdAt.getTime() < IN_PROGRESS_MS) return { kind: 'in_progress' };
  // Abandoned: take it over, exactly one of several retries racing.
  const taken = await db
    .update(t.apiIdempotency)
    .set({ createdAt: input.now })
    .where(and(where, isNull(t.apiIdempotency.status), eq(t.apiIdempotency.createdAt, row.createdAt)))
    .returning({ key: t.apiIdempotency.key });
  return taken.length > 0 ? { kind: 'claimed' } : { kind: 'in_progress' };
}

/** Stores the first answer under the key, for every retry to get again. */
export async function storeAnswer(db: Db, tokenId: string, key: string, answer: StoredAnswer): Promise<void> {
  await db
    .update(t.apiIdempotency)
    .set({ status: answer.status, headers: answer.headers, body: answer.body })
    .where(and(eq(t.apiIdempotency.tokenId, tokenId), eq(t.apiIdempotency.key, key), isNull(t.apiIdempotency.status)));
}

/**
 * Gives a key back after a refused request: nothing was recorded, so nothing is stored
 * either, and the request may be sent again (corrected or not).
 */
export async function releaseKey(db: Db, tokenId: string, key: string): Promise<void> {
  await db.delete(t.apiIdempotency).where(and(eq(t.apiIdempotency.tokenId, tokenId), eq(t.apiIdempotency.key, key), isNull(t.apiIdempotency.status)));
}
