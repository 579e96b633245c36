/** How long to wait before retry `attempt` (1-based): exponential with full jitter, capped. */
export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
  /** Attempts after which a delivery or job is dead. */
  maxAttempts: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 5_000, maxMs: 30 * 60_000, maxAttempts: 12 };

/**
 * The delay before the next attempt. A target's `Retry-After` is a floor: we never come
 * back sooner than it asked, but jitter still spreads a crowd of retries after it.
 */
export function retryDelay(attempt: number, policy: BackoffPolicy, retryAfterMs?: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  // "Equal jitter": half fixed, half random, so a retry is never immediate.
  const jittered = ceiling / 2 + random() * (ceiling / 2);
  return Math.max(Math.round(jittered), retryAfterMs ?? 0);
}

/** Parses an HTTP `Retry-After` (seconds or an HTTP date) into milliseconds from `now`. */
export function parseRetryAfter(value: string | null | undefined, now: Date): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now.getTime());
}
