import type { IncomingMessage, ServerResponse } from 'node:http';
import type { App } from './http.ts';
import type { Logger } from './logger.ts';
import type { Metrics } from './metrics.ts';
import type { Runtime } from './runtime.ts';

/** A piece of the server: HTTP routes and/or a background worker, started and stopped with it. */
export interface ServerPart {
  readonly name: string;
  routes?(app: App): void;
  /**
   * Answers a request straight from Node before the router, when it can (a cached page):
   * true when it did. Must answer exactly as its routes would; anything else returns false.
   */
  fastPath?(req: IncomingMessage, res: ServerResponse): boolean;
  start?(): Promise<void>;
  stop?(): Promise<void>;
}

/** What every part is built from. */
export interface ServerPartDeps {
  runtime: Runtime;
  logger: Logger;
  metrics: Metrics;
}

/** Builds a part from the runtime; returns undefined when its settings are absent (e.g. no Slack token). */
export type ServerPartFactory = (deps: ServerPartDeps) => ServerPart | undefined | Promise<ServerPart | undefined>;

/** A part built at once, without loading code first. */
export type SyncServerPartFactory = (deps: ServerPartDeps) => ServerPart | undefined;
