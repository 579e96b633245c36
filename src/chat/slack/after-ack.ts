import type { Logger } from '../../logger.ts';

/** How long a delivery key (trigger_id, event_id) is remembered as already handled. */
const KEY_TTL_MS = 10 * 60 * 1000;
const MAX_KEYS = 50_000;

/**
 * The work listeners do after acknowledging Slack: tracked so shutdown (and tests) can wait
 * for it, and deduplicated by Slack's delivery key so a retried request does nothing twice
 * in this process. Across processes the use cases' idempotency keys give the same guarantee
 * for the database.
 */
export class AfterAck {
  private readonly inFlight = new Set<Promise<void>>();
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** True the first time a delivery key is seen; false for its retries. */
  claim(key: string | undefined): boolean {
    if (!key) return true;
    const now = this.now();
    const expires = this.seen.get(key);
    if (expires !== undefined && expires > now) return false;
    // Map keeps insertion order: expired and overflowing keys are at the front.
    for (const [k, e] of this.seen) {
      if (e > now && this.seen.size < MAX_KEYS) break;
      this.seen.delete(k);
    }
    this.seen.set(key, now + KEY_TTL_MS);
    return true;
  }

  /** Runs work after the ack; a failure is logged, never thrown back into Bolt. */
  async run(work: () => Promise<void>): Promise<void> {
    const p = work().catch((e: unknown) => this.logger.error({ err: e }, 'slack work failed after ack'));
    this.inFlight.add(p);
    try {
      await p;
    } finally {
      this.inFlight.delete(p);
    }
  }

  /** Resolves once no work is in flight (work started meanwhile included). */
  async drain(): Promise<void> {
    // A listener registers its work right after its ack: give one that just acked the turn to do so.
    await new Promise((resolve) => setImmediate(resolve));
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }
}
