import { createHash, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { and, eq, gt, isNull } from 'drizzle-orm';
import type { Config } from '../config.ts';
import type { Actor, Platform } from '../core/model.ts';
import type { Db } from '../db/client.ts';
import * as t from '../db/schema.ts';

/** How long a sign-in link from the `web` command opens a session. */
export const SIGN_IN_TTL_MS = 10 * 60_000;
/** How long a session lasts from sign-in, however active (a work day and a half). */
export const SESSION_TTL_MS = 12 * 60 * 60_000;
/** `last_seen_at` is written at most this often, so reading pages does not write on every request. */
const SEEN_EVERY_MS = 60_000;

/** Where the app lives; the cookie is scoped to it. */
export const APP_PATH = '/app';

/** The chat user a sign-in link is for. */
export interface SignInUser {
  platform: Platform;
  userId: string;
  userName: string;
  lang: string;
  timeZone?: string | undefined;
}

/** One session row as the app reads it. */
export interface WebSession {
  id: string;
  platform: string | null;
  userId: string | null;
  userName: string;
  lang: string;
  timeZone: string | null;
  isAdmin: boolean;
  csrfSecret: string;
  expiresAt: Date;
  lastSeenAt: Date;
}

const KEY_LABEL = 'tsuiki web session v1';

/**
 * The cookie-signing key: WEB_SESSION_SECRET, else SLACK_SIGNING_SECRET, else ADMIN_TOKEN, each
 * through HKDF under the app's own label, so a cookie signature never stands for a Slack
 * request signature, a timeline link or the token itself. Undefined when none is set (the app
 * then cannot sign anyone in).
 */
export function webSessionKey(config: Pick<Config, 'webSessionSecret' | 'adminToken'> & { slack: { signingSecret?: string | undefined } }): Buffer | undefined {
  const secret = config.webSessionSecret ?? config.slack.signingSecret ?? config.adminToken;
  if (!secret) return undefined;
  return Buffer.from(hkdfSync('sha256', secret, '', KEY_LABEL, 32));
}

/** SHA-256 of a sign-in token: only the hash is stored, so a database read does not sign anyone in. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Stores a single-use sign-in link for `user` and returns its URL (valid {@link SIGN_IN_TTL_MS}). */
export async function createSignInLink(db: Db, user: SignInUser, options: { publicUrl: string; now: Date }): Promise<{ url: string; expiresAt: Date }> {
  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(options.now.getTime() + SIGN_IN_TTL_MS);
  await db.insert(t.webSignIn).values({
    tokenHash: hashToken(token),
    platform: user.platform,
    userId: user.userId,
    userName: user.userName,
    lang: user.lang,
    timeZone: user.timeZone ?? null,
    createdAt: options.now,
    expiresAt,
  });
  return { url: `${options.publicUrl}${APP_PATH}/sign-in?token=${token}`, expiresAt };
}

/**
 * Spends a sign-in token: one UPDATE that only an unused, unexpired row matches, so two
 * requests racing with the same link cannot both get a session. Undefined when the link is
 * unknown, used or expired (deliberately not saying which).
 */
export async function spendSignInToken(db: Db, token: string, now: Date): Promise<SignInUser | undefined> {
  if (!/^[A-Za-z0-9_-]{20,100}$/.test(token)) return undefined;
  const [row] = await db
    .update(t.webSignIn)
    .set({ usedAt: now })
    .where(and(eq(t.webSignIn.tokenHash, hashToken(token)), isNull(t.webSignIn.usedAt), gt(t.webSignIn.expiresAt, now)))
    .returning();
  if (!row) return undefined;
  return { platform: row.platform as Platform, userId: row.userId, userName: row.userName, lang: row.lang, timeZone: row.timeZone ?? undefined };
}

/** Opens a session for a chat user or, with `admin`, for the administrator. */
export async function openSession(db: Db, who: SignInUser | { admin: true; lang: string }, now: Date): Promise<WebSession> {
  const row = {
    id: randomBytes(32).toString('base64url'),
    platform: 'admin' in who ? null : who.platform,
    userId: 'admin' in who ? null : who.userId,
    userName: 'admin' in who ? 'admin' : who.userName,
    lang: who.lang,
    timeZone: 'admin' in who ? null : (who.timeZone ?? null),
    isAdmin: 'admin' in who,
    csrfSecret: randomBytes(32).toString('base64url'),
    createdAt: now,
    lastSeenAt: now,
    expiresAt: new Date(now.getTime() + SESSION_TTL_MS),
  };
  await db.insert(t.webSession).values(row);
  return row;
}

/** The live session with that id: not revoked, not expired; notes that it was seen. */
export async function loadSession(db: Db, id: string, now: Date): Promise<WebSession | undefined> {
  const [row] = await db
    .select()
    .from(t.webSession)
    .where(and(eq(t.webSession.id, id), isNull(t.webSession.revokedAt), gt(t.webSession.expiresAt, now)));
  if (!row) return undefined;
  if (now.getTime() - row.lastSeenAt.getTime() > SEEN_EVERY_MS) {
    await db.update(t.webSession).set({ lastSeenAt: now }).where(eq(t.webSession.id, id));
  }
  return row;
}

/** Ends one session (sign out). */
export async function revokeSession(db: Db, id: string, now: Date): Promise<void> {
  await db.update(t.webSession).set({ revokedAt: now }).where(and(eq(t.webSession.id, id), isNull(t.webSession.revokedAt)));
}

/** Ends every session of the same person (every administrator session for an administrator): "sign out everywhere". */
export async function revokeAllSessions(db: Db, session: WebSession, now: Date): Promise<number> {
  const same = session.isAdmin
    ? eq(t.webSession.isAdmin, true)
    : and(eq(t.webSession.platform, session.platform ?? ''), eq(t.webSession.userId, session.userId ?? ''), eq(t.webSession.isAdmin, false));
  const revoked = await db
    .update(t.webSession)
    .set({ revokedAt: now })
    .where(and(same, isNull(t.webSession.revokedAt), gt(t.webSession.expiresAt, now)))
    .returning({ id: t.webSession.id });
  return revoked.length;
}

/** The CSRF token of a session's forms: an HMAC of the session id under its own secret. */
export function csrfToken(session: Pick<WebSession, 'id' | 'csrfSecret'>): string {
  return createHmac('sha256', session.csrfSecret).update(`csrf\n${session.id}`).digest('base64url');
}

/** True when `given` is the session's CSRF token (constant-time compare). */
export function checkCsrf(session: Pick<WebSession, 'id' | 'csrfSecret'>, given: unknown): boolean {
  return typeof given === 'string' && safeEqual(given, csrfToken(session));
}

/** Constant-time string compare that does not throw on different lengths. */
export function safeEqual(a: string, b: string): boolean {
  const x = createHash('sha256').update(a).digest();
  const y = createHash('sha256').update(b).digest();
  return timingSafeEqual(x, y);
}

/**
 * The token of the sign-in forms, before any session exists: an HMAC of a random value kept in
 * its own signed cookie (double submit), so another site cannot sign a browser in as someone else.
 */
export function preSessionToken(key: Buffer, nonce: string): string {
  return createHmac('sha256', key).update(`pre-session\n${nonce}`).digest('base64url');
}

/** The actor a session acts as in the use cases: the chat user, or the administrator. */
export function sessionActor(session: WebSession): Actor {
  if (session.isAdmin || !session.platform || !session.userId) {
    return { platform: 'console', id: 'web-admin', name: session.userName, lang: session.lang, ...(session.timeZone ? { timeZone: session.timeZone } : {}) };
  }
  return {
    platform: session.platform as Platform,
    id: session.userId,
    name: session.userName,
    lang: session.lang,
    ...(session.timeZone ? { timeZone: session.timeZone } : {}),
  };
}
