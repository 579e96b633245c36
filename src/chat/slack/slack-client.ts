import { ErrorCode, LogLevel, WebClient, type WebClientOptions } from '@slack/web-api';
import type { Logger } from '../../logger.ts';
import { toSlackLogger } from './slack-logger.ts';

/** How often one call is retried after 429 before giving up. */
const RATE_LIMIT_ATTEMPTS = 5;

/**
 * The bot's Web API client. `SLACK_API_URL` points it elsewhere (GovSlack, tests).
 * Rate-limited calls are rejected rather than queued: the SDK's own handling pauses the
 * client's whole queue, which would stall every incident for one channel's limit;
 * {@link withRateLimit} waits out Retry-After for that one call instead.
 */
export function createSlackClient(token: string, apiUrl: string | undefined, logger: Logger): WebClient {
  const options: WebClientOptions = {
    logger: toSlackLogger(logger),
    logLevel: LogLevel.WARN,
    rejectRateLimitedCalls: true,
    // Network errors and 5xx: a few quick retries, not the SDK's default of ten over 30 minutes.
    retryConfig: { retries: 2, factor: 2, minTimeout: 250, maxTimeout: 2_000 },
    timeout: 10_000,
  };
  if (apiUrl) options.slackApiUrl = apiUrl.endsWith('/') ? apiUrl : `${apiUrl}/`;
  return new WebClient(token, options);
}

/** Platform error code of a Web API failure (`name_taken`, `not_in_channel`, …), if it is one. */
export function slackErrorCode(e: unknown): string | undefined {
  const err = e as { code?: string; data?: { error?: string } };
  return err?.code === ErrorCode.PlatformError ? err.data?.error : undefined;
}

/**
 * Runs one Web API call, waiting `Retry-After` seconds after each 429 (up to five times).
 * Only the awaiting caller waits: other incidents' calls go on.
 */
export async function withRateLimit<T>(call: () => Promise<T>, sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (e) {
      const err = e as { code?: string; retryAfter?: number };
      if (err?.code !== ErrorCode.RateLimitedError || attempt >= RATE_LIMIT_ATTEMPTS) throw e;
      await sleep(Math.max(1, err.retryAfter ?? 1) * 1000);
    }
  }
}
