import { parseRetryAfter } from '../outbox/backoff.ts';
import { errorForStatus, RetryableDeliveryError } from './channel.ts';

/** Sends one HTTP request and turns the answer into success or a classified delivery error. */
export async function sendHttp(url: string, init: RequestInit, now: () => Date, timeoutMs = 10_000): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  } catch (e) {
    // Refused, reset, timed out: the target may come back.
    throw new RetryableDeliveryError(`${new URL(url).host}: ${(e as Error).cause instanceof Error ? ((e as Error).cause as Error).message : (e as Error).message}`);
  }
  if (response.ok) return response;
  const body = await response.text().catch(() => '');
  throw errorForStatus(response.status, body, parseRetryAfter(response.headers.get('retry-after'), now()));
}
