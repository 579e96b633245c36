import type { Logger } from '../../logger.ts';

/** A message for a `response_url`: what Bolt's `respond` takes. */
export type RespondMessage = Record<string, unknown>;
export type Respond = (message: RespondMessage) => Promise<void>;

/** How long one post to a response_url may take. */
const RESPOND_TIMEOUT_MS = 10_000;

/**
 * Posts to a request's `response_url` (valid 30 minutes, five times), as Bolt's `respond`
 * does — but usable from a stored request, long after Bolt's listener returned.
 */
export function respondTo(responseUrl: string, logger: Logger): Respond {
  return async (message) => {
    const res = await fetch(responseUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(message),
      signal: AbortSignal.timeout(RESPOND_TIMEOUT_MS),
    });
    if (!res.ok) {
      const body = await res.text().catch(() => '');
      logger.warn({ status: res.status, body: body.slice(0, 200) }, 'response_url refused the reply');
      throw new Error(`response_url answered ${res.status}`);
    }
    await res.body?.cancel().catch(() => undefined);
  };
}
