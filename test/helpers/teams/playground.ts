import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A free port on 127.0.0.1. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The Playground listens on every interface and has no host option: this preload pins its servers to 127.0.0.1. */
function loopbackPreload(): string {
  const file = join(tmpdir(), `tsuiki-loopback-${process.pid}.cjs`);
  writeFileSync(
    file,
    `const net = require('node:net');
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  if (typeof args[0] === 'number') return listen.call(this, args[0], '127.0.0.1', ...args.slice(1).filter((a) => typeof a === 'function'));
  if (args[0] && typeof args[0] === 'object' && !args[0].path) return listen.call(this, { ...args[0], host: '127.0.0.1' }, ...args.slice(1));
  return listen.apply(this, args);
};
`,
  );
  return file;
}

/**
 * The Playground opens its web client with `xdg-open` on start and dies of an uncaught ENOENT
 * where there is none (a server, CI); it ignores BROWSER. A no-op `xdg-open` first on its PATH.
 */
function noBrowserPath(): string {
  const dir = join(tmpdir(), `tsuiki-no-browser-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'xdg-open'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  return `${dir}:${process.env.PATH ?? ''}`;
}

/** One message the Playground's client would show: what the bot created or updated in a conversation. */
export interface PlaygroundEvent {
  action: string;
  actionConversationId?: string;
  message?: { messageId?: string | number; text?: string; attachments?: { contentType: string; content: unknown }[] } & Record<string, unknown>;
}

/**
 * The Microsoft 365 Agents Playground (npm @microsoft/m365agentsplayground) run offline on
 * 127.0.0.1 against a bot endpoint, driven over its own HTTP API (`/_conversation/v1/...`) and
 * its conversation WebSocket, the ones its web client uses.
 */
export class Playground {
  readonly events: PlaygroundEvent[] = [];
  url = '';
  config: { personalChat: { id: string }; currentUser: { id: string; name: string } } & Record<string, unknown> = {} as never;
  private child: ChildProcess | undefined;
  private socket: import('node:net').Socket | undefined;
  output = '';

  async start(botEndpoint: string): Promise<this> {
    const port = await freePort();
    this.url = `http://127.0.0.1:${port}`;
    const cli = createRequire(import.meta.url).resolve('@microsoft/m365agentsplayground/cli.js');
    this.child = spawn(process.execPath, ['--require', loopbackPreload(), cli, '-e', botEndpoint, '-c', 'msteams', '-p', String(port), '--su', `${this.url}/_connector`, '--dt'], {
      env: { ...process.env, BROWSER: 'none', PATH: noBrowserPath() },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout?.on('data', (c: Buffer) => (this.output += c.toString()));
    this.child.stderr?.on('data', (c: Buffer) => (this.output += c.toString()));
    for (let i = 0; i < 100 && !this.output.includes('Listening on'); i++) await new Promise((r) => setTimeout(r, 100));
    if (!this.output.includes('Listening on')) throw new Error(`the Playground did not start: ${this.output}`);
    this.config = ((await this.json('GET', '/_internal/v1/config')) as { config: Playground['config'] }).config;
    await this.connect();
    return this;
  }

  /** Reads the conversation WebSocket (RFC 6455 text frames from the server are unmasked) into `events`. */
  private connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      const req = request(`${this.url}/_ws_conversation/v1/conversations/stream`, {
        headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': randomBytes(16).toString('base64') },
      });
      req.on('upgrade', (_res, socket) => {
        this.socket = socket;
        let buffer = Buffer.alloc(0);
        socket.on('data', (chunk: Buffer) => {
          buffer = Buffer.concat([buffer, chunk]);
          for (;;) {
            if (buffer.length < 2) return;
            let length = buffer[1]! & 0x7f;
            let offset = 2;
            if (length === 126) [length, offset] = [buffer.readUInt16BE(2), 4];
            else if (length === 127) [length, offset] = [Number(buffer.readBigUInt64BE(2)), 10];
            if (buffer.length < offset + length) return;
            const opcode = buffer[0]! & 0x0f;
            const payload = buffer.subarray(offset, offset + length).toString('utf8');
            buffer = buffer.subarray(offset + length);
            if (opcode === 1) {
              try {
                this.events.push(JSON.parse(payload) as PlaygroundEvent);
              } catch {
                // not an event
              }
            }
          }
        });
        resolve();
      });
      req.on('error', reject);
      req.end();
    });
  }

  async json(method: string, path: string, body?: unknown): Promise<unknown> {
    const res = await fetch(`${this.url}${path}`, { method, ...(body ? { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) } : {}) });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return text ? (JSON.parse(text) as unknown) : undefined;
  }

  /** Types a message in the personal chat as the Playground's current user. */
  say(text: string): Promise<unknown> {
    return this.json('POST', `/_conversation/v1/conversations/${encodeURIComponent(this.config.personalChat.id)}/messages`, {
      from: { id: this.config.currentUser.id },
      text,
      textFormat: 'plain',
    });
  }

  /** Presses an Action.Execute button on the card of message `messageId`. */
  execute(conversationId: string, messageId: string, verb: string, data: Record<string, unknown>): Promise<unknown> {
    return this.json('POST', '/_conversation/v1/invoke', {
      name: 'adaptiveCard/action',
      value: { action: { type: 'Action.Execute', verb, data }, trigger: 'manual' },
      from: { id: this.config.currentUser.id },
      conversation: { id: conversationId },
      replyToId: messageId,
    });
  }

  /** Waits until an event matches (the bot answers asynchronously to the Playground's connector). */
  async waitFor(predicate: (e: PlaygroundEvent) => boolean, from = 0): Promise<PlaygroundEvent> {
    for (let i = 0; i < 100; i++) {
      const found = this.events.slice(from).find(predicate);
      if (found) return found;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`no such Playground event; got ${JSON.stringify(this.events.slice(from)).slice(0, 2000)}\n${this.output.slice(-2000)}`);
  }

  async stop(): Promise<void> {
    this.socket?.destroy();
    if (this.child && this.child.exitCode === null) {
      this.child.kill('SIGTERM');
      await new Promise((r) => this.child!.once('exit', r));
    }
  }
}
