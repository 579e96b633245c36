import { createHash, randomBytes } from 'node:crypto';
import { and, asc, eq, isNull, lt, or } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import * as t from '../db/schema.ts';

/** How stale `last_used_at` may get: a token used every second is written once a minute, not once a request. */
export const LAST_USED_RESOLUTION_MS = 60_000;

/** What every tsuiki API token starts with, so secret scanners and people recognise one. */
export const TOKEN_PREFIX = 'tsk_';

/** A token's name: what `tokens revoke` and the audit log call it. */
export const TOKEN_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** One token as `tokens list` shows it: never the token itself, which is not kept. */
export interface ApiTokenInfo {
  id: string;
  name: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

/** The caller a valid token stands for. */
export interface ApiCaller {
  tokenId: string;
  name: string;
}

/** SHA-256 of a token, hex: the only form it is stored in. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Why a token could not be created. */
export class TokenError extends Error {
  override name = 'TokenError';
}

/** Creates a token under a new name and returns it: the only time it is ever seen, only its hash is stored. */
export async function createApiToken(db: Db, input: { id: string; name: string; now: Date }): Promise<{ token: string; info: ApiTokenInfo }> {
  if (!TOKEN_NAME.test(input.name)) throw new TokenError(`a token name is 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit; got ${JSON.stringify(input.name)}`);
  // 256 random bits: guessing one is out of reach, so a plain hash (no salt, no slow KDF) is enough to look it up.
  const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
  const inserted = await db
    .insert(t.apiToken)
    .values({ id: input.id, name: input.name, tokenHash: hashToken(token), createdAt: input.now })
    .onConflictDoNothing({ target: t.apiToken.name })
    .returning();
  const row = inserted[0];
  if (!row) throw new TokenError(`a token named ${JSON.stringify(input.name)} already exists (revoked names stay taken, so old logs stay unambiguous)`);
  return { token, info: infoOf(row) };
}

/** Revokes the token of that name; false when there is none or it was already revoked. */
export async function revokeApiToken(db: Db, name: string, now: Date): Promise<boolean> {
  const rows = await db
    .update(t.apiToken)
    .set({ revokedAt: now })
    .where(and(eq(t.apiToken.name, name), isNull(t.apiToken.revokedAt)))
    .returning({ id: t.apiToken.id });
  return rows.length > 0;
}

/** Every token, oldest first, revoked ones included. */
export async function listApiTokens(db: Db): Promise<ApiTokenInfo[]> {
  const rows = await db.select().from(t.apiToken).orderBy(asc(t.apiToken.createdAt), asc(t.apiToken.name));
  return rows.map(infoOf);
}

/**
 * The caller of a bearer token, or undefined for an unknown or revoked one. Looked up on
 * every request (a revocation counts at once, in every process); `last_used_at` is written
 * only when it is older than {@link LAST_USED_RESOLUTION_MS}.
 */
export async function authenticateToken(db: Db, token: string, now: Date): Promise<ApiCaller | undefined> {
  if (!token.startsWith(TOKEN_PREFIX) || token.length > 200) return undefined;
  const [row] = await db
    .select({ id: t.apiToken.id, name: t.apiToken.name, lastUsedAt: t.apiToken.lastUsedAt, revokedAt: t.apiToken.revokedAt })
    .from(t.apiToken)
    .where(eq(t.apiToken.tokenHash, hashToken(token)));
  if (!row || row.revokedAt) return undefined;
  const threshold = new Date(now.getTime() - LAST_USED_RESOLUTION_MS);
  if (!row.lastUsedAt || row.lastUsedAt < threshold) {
    // Conditional, so processes racing on one token write it once.
    await db
      .update(t.apiToken)
      .set({ lastUsedAt: now })
      .where(and(eq(t.apiToken.id, row.id), or(isNull(t.apiToken.lastUsedAt), lt(t.apiToken.lastUsedAt, threshold))));
  }
  return { tokenId: row.id, name: row.name };
}

function infoOf(row: typeof t.apiToken.$inferSelect): ApiTokenInfo {
  return { id: row.id, name: row.name, createdAt: row.createdAt, lastUsedAt: row.lastUsedAt, revokedAt: row.revokedAt };
}
