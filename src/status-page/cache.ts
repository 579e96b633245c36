import { createHash } from 'node:crypto';
import { brotliCompressSync, constants as zlib, gzipSync } from 'node:zlib';
import type { Db } from '../db/client.ts';
import type { StatusData } from './data.ts';
import { statusFingerprint } from './data.ts';

/** The channel every process listens on; a publish notifies it in its own transaction. */
export const STATUS_CHANNEL = 'tsuiki_status';

/** A rendered response, kept until the next change. */
export interface Rendered {
  body: string;
  contentType: string;
  etag: string;
  lastModified: Date;
  /** The body's bytes as sent: identity, gzip and brotli, each encoded once per render. */
  encoded: { identity: Buffer; gzip: Buffer; br: Buffer };
}

/** The body in each encoding: compressed once here, never per request. */
export function encodeBody(body: string): Rendered['encoded'] {
  const identity = Buffer.from(body, 'utf8');
  return {
    identity,
    gzip: gzipSync(identity, { level: 9 }),
    br: brotliCompressSync(identity, {
      params: { [zlib.BROTLI_PARAM_QUALITY]: 10, [zlib.BROTLI_PARAM_MODE]: zlib.BROTLI_MODE_TEXT, [zlib.BROTLI_PARAM_SIZE_HINT]: identity.length },
    }),
  };
}

/**
 * Renders each page once per change and serves it from memory. Data is read once per
 * generation; `invalidate()` starts a new generation, and a render that began in an older
 * one is served to its own request but never cached, so a change is never hidden.
 */
export class RenderCache {
  private generation = 0;
  private data: { generation: number; loaded: Promise<StatusData>; at: number } | undefined;
  private readonly rendered = new Map<string, Rendered>();

  constructor(
    private readonly load: () => Promise<StatusData>,
    private readonly now: () => number,
    /** Data older than this is re-read even without a change, so open incidents' durations and history bars move on. */
    private readonly maxAgeMs = 60_000,
  ) {}

  invalidate(): void {
    this.generation += 1;
    this.data = undefined;
    this.rendered.clear();
  }

  /** The response under `key`, rendering it from the current data when absent; undefined when `render` has nothing (404). */
  /** The cached response under `key` when it is current, without rendering or waiting: the fast path's lookup. */
  peek(key: string): Rendered | undefined {
    if (this.data && this.now() - this.data.at > this.maxAgeMs) return undefined;
    return this.rendered.get(key);
  }

  async get(key: string, render: (data: StatusData) => { body: string; contentType: string } | undefined): Promise<Rendered | undefined> {
    if (this.data && this.now() - this.data.at > this.maxAgeMs) this.invalidate();
    const hit = this.rendered.get(key);
    if (hit) return hit;
    const generation = this.generation;
    if (!this.data) {
      const loaded = this.load();
      this.data = { generation, loaded, at: this.now() };
      // A failed read is not remembered: the next request tries again.
      loaded.catch(() => {
        if (this.data?.loaded === loaded) this.data = undefined;
      });
    }
    const data = await this.data.loaded;
    const out = render(data);
    if (!out) return undefined;
    const result: Rendered = {
      ...out,
      encoded: encodeBody(out.body),
      etag: `"${createHash('sha1').update(out.body).digest('base64url')}"`,
      lastModified: data.updatedAt.getTime() > 0 ? data.updatedAt : data.readAt,
    };
    if (generation === this.generation && this.data?.generation === generation) this.rendered.set(key, result);
    return result;
  }
}

type Listener = (channel: string, onNotify: (payload: string) => void) => Promise<unknown>;

/**
 * Calls `onChange` whenever something the page shows may have changed: at once on a
 * NOTIFY from any process (postgres.js and PGlite both LISTEN), and by polling a cheap
 * fingerprint as a safety net (and the only way when LISTEN is unavailable).
 */
export async function watchChanges(
  db: Db,
  onChange: () => void,
  options: { pollMs: number; onError?: (e: unknown) => void },
): Promise<{ listening: boolean; stop(): Promise<void> }> {
  const client = (db as unknown as { $client?: { listen?: Listener } }).$client;
  let unlisten: (() => Promise<void>) | undefined;
  if (client && typeof client.listen === 'function') {
    try {
      const handle = await client.listen.call(client, STATUS_CHANNEL, () => onChange());
      // postgres.js answers { unlisten }, PGlite an unlisten function.
      unlisten =
        typeof handle === 'function'
          ? (handle as () => Promise<void>)
          : () => (handle as { unlisten(): Promise<void> }).unlisten();
    } catch (e) {
      options.onError?.(e);
    }
  }
  let last: string | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const poll = async () => {
    try {
      const fingerprint = await statusFingerprint(db);
      if (last !== undefined && fingerprint !== last) onChange();
      last = fingerprint;
    } catch (e) {
      options.onError?.(e);
    }
    if (!stopped) {
      timer = setTimeout(() => void poll(), options.pollMs);
      timer.unref();
    }
  };
  await poll();
  return {
    listening: unlisten !== undefined,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await unlisten?.().catch(() => undefined);
    },
  };
}
