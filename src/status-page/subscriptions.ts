import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { and, eq, inArray } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import * as t from '../db/schema.ts';

/** An email subscriber as the confirmation sender sees it. */
export interface EmailSubscriber {
  id: string;
  address: string;
  lang: string;
  timeZone: string;
  components: string[];
  unsubscribeToken: string;
}

/** Sends the double opt-in mail; injected so the publishing issue's email target can take over. */
export type SendConfirmation = (subscriber: EmailSubscriber, confirmUrl: string) => Promise<void>;

export type SubscribeResult =
  | { ok: true }
  | { ok: false; reason: 'invalid_email' | 'invalid_language' | 'invalid_zone' | 'unknown_component' | 'rate_limited' | 'send_failed' };

export interface SubscriptionDeps {
  db: Db;
  now: () => Date;
  publicUrl: string;
  languages: readonly string[];
  sendConfirmation: SendConfirmation;
  limiter: RateLimiter;
}

// No control characters either: a NUL would make PostgreSQL refuse the row (and nobody's address has one).
const EMAIL = /^[^\s@<>()"',;:\\\u0000-\u001f\u007f]+@[^\s@<>()"',;:\\\u0000-\u001f\u007f]+\.[^\s@<>()"',;:\\\u0000-\u001f\u007f]+$/;

/** Addresses are compared case-insensitively: one person, one row. */
export function normalizeEmail(raw: string): string | undefined {
  const email = raw.trim().toLowerCase();
  return email.length <= 254 && EMAIL.test(email) ? email : undefined;
}

export function isTimeZone(zone: string): boolean {
  if (!zone || zone.length > 64) return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const newToken = () => randomBytes(24).toString('base64url');
// Only the hash of a confirm token is stored: a read of the database cannot confirm anyone.
const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * `POST /status/subscribe`: writes (or refreshes) an unconfirmed subscriber and mails a
 * confirmation link. An address that is already confirmed is left unchanged and gets the
 * same answer, so the form reveals nobody's subscription.
 */
export async function subscribe(
  deps: SubscriptionDeps,
  input: { email: string; lang: string; timeZone: string; components: string[]; client: string },
): Promise<SubscribeResult> {
  const address = normalizeEmail(input.email);
  if (!address) return { ok: false, reason: 'invalid_email' };
  if (!deps.languages.includes(input.lang)) return { ok: false, reason: 'invalid_language' };
  if (!isTimeZone(input.timeZone)) return { ok: false, reason: 'invalid_zone' };
  const components = [...new Set(input.components.filter(Boolean))];
  if (components.length > 0) {
    const known = await deps.db.select({ id: t.component.id }).from(t.component).where(inArray(t.component.id, components));
    if (known.length !== components.length) return { ok: false, reason: 'unknown_component' };
  }
  if (!deps.limiter.take(`client:${input.client}`) || !deps.limiter.take(`address:${address}`, 3)) {
    return { ok: false, reason: 'rate_limited' };
  }
  const now = deps.now();
  const token = newToken();
  const [existing] = await deps.db
    .select()
    .from(t.subscriber)
    .where(and(eq(t.subscriber.kind, 'email'), eq(t.subscriber.address, address)));
  if (existing?.confirmed) return { ok: true };
  const values = { lang: input.lang, timeZone: input.timeZone, components, confirmToken: hashToken(token), updatedAt: now };
  const [row] = await deps.db
    .insert(t.subscriber)
    .values({ id: randomUUID(), kind: 'email', address, ...values, confirmed: false, unsubscribeToken: newToken(), createdAt: now })
    .onConflictDoUpdate({
      target: [t.subscriber.kind, t.subscriber.address],
      set: values,
      // Two submissions racing with a confirmation: a confirmed row stays as it is.
      setWhere: eq(t.subscriber.confirmed, false),
    })
    .returning();
  if (!row) return { ok: true };
  const confirmUrl = `${deps.publicUrl}/status/subscribe/confirm?token=${encodeURIComponent(token)}&lang=${encodeURIComponent(input.lang)}`;
  try {
    await deps.sendConfirmation(
      { id: row.id, address, lang: row.lang, timeZone: row.timeZone, components: row.components, unsubscribeToken: row.unsubscribeToken },
      confirmUrl,
    );
  } catch {
    return { ok: false, reason: 'send_failed' };
  }
  return { ok: true };
}

/** `GET /status/subscribe/confirm`: confirms the subscriber holding the token; false when no one does. */
export async function confirmSubscription(db: Db, token: string, now: Date): Promise<{ lang: string; unsubscribeToken: string } | undefined> {
  if (!token) return undefined;
  const [row] = await db
    .update(t.subscriber)
    .set({ confirmed: true, confirmToken: null, updatedAt: now })
    .where(and(eq(t.subscriber.confirmToken, hashToken(token)), eq(t.subscriber.kind, 'email')))
    .returning();
  return row ? { lang: row.lang, unsubscribeToken: row.unsubscribeToken } : undefined;
}

/**
 * Fixed-window counters per key, in this process's memory: enough to stop one client or
 * one address from flooding mailboxes; a cluster allows at most limit × processes.
 */
export class RateLimiter {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one attempt; false when the key is over its limit for this window. */
  take(key: string, limit = this.limit): boolean {
    const now = this.now();
    if (this.windows.size > 10_000) {
      for (const [k, w] of this.windows) if (w.resetAt <= now) this.windows.delete(k);
    }
    const window = this.windows.get(key);
    if (!window || window.resetAt <= now) {
      this.windows.set(key, { count: 1, resetAt: now + this.windowMs });
      return true;
    }
    window.count += 1;
    return window.count <= limit;
  }
}
