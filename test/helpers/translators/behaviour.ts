import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * How a fake translator behaves. `faithful` keeps everything and marks the text as translated;
 * the rest are adversarial: `rewrite-words` replaces every word it is given, `reorder` reverses
 * the sentences, `drop-placeholder` / `duplicate-placeholder` mangle the first protected token,
 * `timeout` never answers, and a number answers with that HTTP status.
 */
export type FakeMode = 'faithful' | 'rewrite-words' | 'reorder' | 'drop-placeholder' | 'duplicate-placeholder' | 'timeout' | 429 | 456 | 500;

/** Applies a text mode; `token` matches what a real service keeps intact (XML tags, `⟦n⟧`). */
export function transform(text: string, target: string, mode: FakeMode, token: RegExp): string {
  switch (mode) {
    case 'rewrite-words':
      return splitTokens(text, token)
        .map((part) => (part.token ? part.text : part.text.replace(/\p{L}+/gu, (w) => `${[...w].reverse().join('').toUpperCase()}`)))
        .join('');
    case 'reorder':
      return `[${target}] ${text.split(/(?<=[.!?。])\s*/u).filter(Boolean).reverse().join(' ')}`;
    case 'drop-placeholder':
      return `[${target}] ${text.replace(token, '')}`;
    case 'duplicate-placeholder':
      return `[${target}] ${text.replace(token, (m) => `${m} ${m}`)}`;
    default:
      return `[${target}] ${text}`;
  }
}

function splitTokens(text: string, token: RegExp): { text: string; token: boolean }[] {
  const global = new RegExp(token.source, 'gu');
  const parts: { text: string; token: boolean }[] = [];
  let last = 0;
  for (const m of text.matchAll(global)) {
    parts.push({ text: text.slice(last, m.index), token: false }, { text: m[0], token: true });
    last = m.index + m[0].length;
  }
  parts.push({ text: text.slice(last), token: false });
  return parts;
}

export interface FakeServer {
  url: string;
  /** Requests received, by route (`POST /v2/translate`, …). */
  calls: Map<string, number>;
  mode: FakeMode;
  /** How long every answer is held back (a slow translator); 0 by default. */
  delayMs: number;
  close(): Promise<void>;
}

export type Handler = (req: IncomingMessage, body: string, res: ServerResponse, server: FakeServer) => void;

/** An HTTP server on 127.0.0.1, port 0, that counts calls and can hold requests forever (`timeout`). */
export async function startFake(handler: Handler): Promise<FakeServer> {
  const sockets = new Set<Socket>();
  const state: FakeServer = { url: '', calls: new Map(), mode: 'faithful', delayMs: 0, close: async () => {} };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const route = `${req.method} ${new URL(req.url ?? '/', 'http://x').pathname}`;
      state.calls.set(route, (state.calls.get(route) ?? 0) + 1);
      const body = Buffer.concat(chunks).toString('utf8');
      if (state.delayMs > 0) setTimeout(() => handler(req, body, res, state), state.delayMs);
      else handler(req, body, res, state);
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  return state;
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** Total calls to routes matching a prefix (`POST /v2/translate`). */
export function callsTo(server: FakeServer, route: string): number {
  return server.calls.get(route) ?? 0;
}
