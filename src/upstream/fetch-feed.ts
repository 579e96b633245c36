import { parseRetryAfter } from '../outbox/backoff.ts';
import { parseIncidentsJson, type UpstreamFeed } from './statuspage-feed.ts';

/** One poll's answer: nothing new (304), or the page with its validator. */
export type FetchResult = { kind: 'not_modified' } | { kind: 'ok'; etag: string | undefined; feed: UpstreamFeed };

/** A poll that failed: a 5xx, a 429, a timeout, a refused connection or a body that is not the page. */
export class UpstreamFetchError extends Error {
  constructor(
    message: string,
    /** The vendor's `Retry-After`, in milliseconds, when it sent one. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'UpstreamFetchError';
  }
}

export interface FetchOptions {
  /** The validator of the last page we imported; sent as If-None-Match. */
  etag?: string | undefined;
  timeoutMs: number;
  now: Date;
  fetch?: typeof fetch;
}

/** GETs `incidents.json` conditionally: a 304 costs the vendor and us nothing. */
export async function fetchIncidents(url: string, options: FetchOptions): Promise<FetchResult> {
  const headers: Record<string, string> = { accept: 'application/json', 'user-agent': 'tsuiki (upstream follower)' };
  if (options.etag) headers['if-none-match'] = options.etag;
  let response: Response;
  try {
    response = await (options.fetch ?? fetch)(url, { headers, signal: AbortSignal.timeout(options.timeoutMs), redirect: 'follow' });
  } catch (e) {
    const reason = (e as Error).name === 'TimeoutError' ? `timed out after ${options.timeoutMs} ms` : (e as Error).message;
    throw new UpstreamFetchError(`GET ${url}: ${reason}`);
  }
  if (response.status === 304) {
    await response.body?.cancel();
    return { kind: 'not_modified' };
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new UpstreamFetchError(`GET ${url}: HTTP ${response.status}`, parseRetryAfter(response.headers.get('retry-after'), options.now));
  }
  let feed: UpstreamFeed;
  try {
    feed = parseIncidentsJson(await response.json());
  } catch (e) {
    throw new UpstreamFetchError(`GET ${url}: not a Statuspage incidents.json (${(e as Error).message.split('\n')[0]})`);
  }
  return { kind: 'ok', etag: response.headers.get('etag') ?? undefined, feed };
}
