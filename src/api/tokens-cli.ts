import { randomUUID } from 'node:crypto';
import type { Db } from '../db/client.ts';
import { createApiToken, listApiTokens, revokeApiToken, TokenError } from './tokens.ts';

/** Where `tsuiki tokens` writes: the token and tables on stdout, refusals on stderr. */
export interface TokensOutput {
  out: (line: string) => void;
  err: (line: string) => void;
}

/** `tsuiki tokens create <name>`: prints the token once; exit code 0, or 1 when refused. */
export async function tokensCreate(db: Db, name: string, io: TokensOutput, now = new Date()): Promise<number> {
  try {
    const { token } = await createApiToken(db, { id: randomUUID(), name, now });
    io.out(token);
    io.err(`token "${name}" created: it is shown this once and stored only as a hash. Send it as Authorization: Bearer <token>.`);
    return 0;
  } catch (e) {
    if (!(e instanceof TokenError)) throw e;
    io.err(`tsuiki: ${e.message}`);
    return 1;
  }
}

/** `tsuiki tokens revoke <name>`: exit code 0, or 1 when no active token has that name. */
export async function tokensRevoke(db: Db, name: string, io: TokensOutput, now = new Date()): Promise<number> {
  if (await revokeApiToken(db, name, now)) {
    io.out(`token "${name}" revoked`);
    return 0;
  }
  io.err(`tsuiki: no active token named "${name}" (tsuiki tokens list shows them)`);
  return 1;
}

/** `tsuiki tokens list`: name, created, last used, revoked (UTC, ISO 8601); never a token. */
export async function tokensList(db: Db, io: TokensOutput): Promise<number> {
  const tokens = await listApiTokens(db);
  const rows = [['NAME', 'CREATED', 'LAST USED', 'REVOKED'], ...tokens.map((t) => [t.name, iso(t.createdAt), iso(t.lastUsedAt), iso(t.revokedAt)])];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const row of rows) io.out(row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd());
  return 0;
}

function iso(date: Date | null): string {
  return date ? date.toISOString().replace(/\.\d{3}Z$/, 'Z') : '-';
}
