import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';
import type { SlackRequest } from './requests.ts';

/** The Socket Mode envelope types Slack sends (docs.slack.dev, "Using Socket Mode"). */
export type EnvelopeType = 'slash_commands' | 'interactive' | 'events_api';

/** One envelope as Slack writes it on the socket. */
export interface Envelope {
  envelope_id: string;
  type: EnvelopeType;
  payload: Record<string, unknown>;
  accepts_response_payload: boolean;
  /** events_api only: how many times Slack has already tried this event. */
  retry_attempt?: number;
  retry_reason?: string;
}

/** What the app wrote back: `{ envelope_id, payload }`, the payload being ack()'s argument. */
export interface Ack {
  envelope_id: string;
  payload?: Record<string, unknown>;
}

/**
 * A connection the server accepted, and its close code once it ended: 1000 when the app closed
 * it with a handshake (this server never starts one), 1006 when it was cut ({@link SocketModeServer.drop}).
 */
export interface SocketConnection {
  ticket: string;
  socket: WebSocket;
  closedWith?: number;
}

const APP_ID = 'A0TSUIKI001';
const ACK_WAIT_MS = 10_000;

/**
 * A local Socket Mode endpoint speaking Slack's protocol: `apps.connections.open` hands out a
 * one-time `ws://127.0.0.1:<port>/link/?ticket=…` URL ({@link issueUrl}); a connection with an
 * issued ticket gets `hello`, then envelopes, and must answer each with `{ envelope_id }`.
 * It can ask the app to reconnect (`disconnect` / `refresh_requested`) or drop the socket.
 */
export class SocketModeServer {
  readonly connections: SocketConnection[] = [];
  /** Every ack received, in order. */
  readonly acks: Ack[] = [];
  /** Messages that were not a well-formed ack of an envelope we sent; a passing test leaves this empty. */
  readonly unexpected: string[] = [];
  private readonly tickets = new Set<string>();
  private readonly waiting = new Map<string, { resolve: (ack: Ack) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  private readonly sent = new Set<string>();
  private readonly connectionWaiters: { count: number; resolve: () => void }[] = [];
  private http: Server | undefined;
  private wss: WebSocketServer | undefined;
  private port = 0;

  async start(): Promise<this> {
    this.wss = new WebSocketServer({ noServer: true });
    this.http = createServer((_req, res) => {
      res.writeHead(426);
      res.end();
    });
    this.http.on('upgrade', (req, socket, head) => {
      const url = new URL(req.url ?? '/', 'ws://127.0.0.1');
      const ticket = url.searchParams.get('ticket') ?? '';
      // A ticket is good for one connection, as Slack's are: reconnecting needs a new apps.connections.open.
      if (url.pathname !== '/link/' || !this.tickets.delete(ticket)) {
        socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      this.wss!.handleUpgrade(req, socket, head, (ws) => this.accept(ws, ticket));
    });
    await new Promise<void>((resolve) => this.http!.listen(0, '127.0.0.1', resolve));
    this.port = (this.http.address() as AddressInfo).port;
    return this;
  }

  /** A fresh one-time WebSocket URL, as `apps.connections.open` returns. */
  issueUrl(): string {
    const ticket = randomUUID();
    this.tickets.add(ticket);
    return `ws://127.0.0.1:${this.port}/link/?ticket=${ticket}&app_id=${APP_ID}`;
  }

  /** Connections still open. */
  open(): SocketConnection[] {
    return this.connections.filter((c) => c.closedWith === undefined);
  }

  /** Resolves once `count` connections in all have received their hello. */
  waitForConnections(count: number): Promise<void> {
    if (this.connections.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.connectionWaiters.push({ count, resolve }));
  }

  /**
   * Writes an envelope on an open connection (the newest unless `on` says which) and resolves
   * with the app's ack; rejects if none comes within ten seconds.
   */
  deliver(envelope: Envelope, on?: SocketConnection): Promise<Ack> {
    const connection = on ?? this.open().at(-1);
    if (!connection || connection.closedWith !== undefined) return Promise.reject(new Error('no open Socket Mode connection'));
    this.sent.add(envelope.envelope_id);
    const acked = new Promise<Ack>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(envelope.envelope_id);
        reject(new Error(`no ack for envelope ${envelope.envelope_id}`));
      }, ACK_WAIT_MS);
      this.waiting.set(envelope.envelope_id, { resolve, reject, timer });
    });
    connection.socket.send(JSON.stringify(envelope));
    return acked;
  }

  /** Slack's warning before it recycles a connection: the app must close it and open a new one. */
  requestRefresh(connection = this.open().at(-1)!): void {
    connection.socket.send(JSON.stringify({ type: 'disconnect', reason: 'refresh_requested', debug_info: { host: 'applink-test' } }));
  }

  /** The connection ends abruptly, without a close handshake (a crashed pod, a cut network). */
  drop(connection = this.open().at(-1)!): void {
    connection.socket.terminate();
  }

  async stop(): Promise<void> {
    for (const { timer, reject } of this.waiting.values()) {
      clearTimeout(timer);
      reject(new Error('server stopped'));
    }
    this.waiting.clear();
    for (const c of this.open()) c.socket.terminate();
    await new Promise<void>((resolve) => this.wss?.close(() => resolve()) ?? resolve());
    await new Promise<void>((resolve) => this.http?.close(() => resolve()) ?? resolve());
  }

  private accept(socket: WebSocket, ticket: string): void {
    const connection: SocketConnection = { ticket, socket };
    socket.on('message', (data) => this.onMessage(String(data)));
    socket.on('close', (code) => {
      connection.closedWith = code;
    });
    this.connections.push(connection);
    socket.send(
      JSON.stringify({
        type: 'hello',
        num_connections: this.open().length,
        debug_info: { host: 'applink-test', build_number: 1, approximate_connection_time: 18060 },
        connection_info: { app_id: APP_ID },
      }),
    );
    for (const waiter of [...this.connectionWaiters]) {
      if (this.connections.length >= waiter.count) {
        this.connectionWaiters.splice(this.connectionWaiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  }

  private onMessage(raw: string): void {
    let message: Ack;
    try {
      message = JSON.parse(raw) as Ack;
    } catch {
      this.unexpected.push(raw);
      return;
    }
    if (typeof message.envelope_id !== 'string' || !this.sent.has(message.envelope_id)) {
      this.unexpected.push(raw);
      return;
    }
    this.acks.push(message);
    const waiter = this.waiting.get(message.envelope_id);
    if (!waiter) return;
    clearTimeout(waiter.timer);
    this.waiting.delete(message.envelope_id);
    waiter.resolve(message);
  }
}

/**
 * The envelope Slack sends over Socket Mode for a request it would otherwise POST: a slash
 * command's form fields, an interaction's `payload` field, or an Events API callback, each as
 * the JSON payload. The bodies come from the recorded requests of `requests.ts`.
 */
export function envelopeOf(request: SlackRequest, options: { envelopeId?: string; retryAttempt?: number; retryReason?: string } = {}): Envelope {
  const envelope_id = options.envelopeId ?? randomUUID();
  if (request.contentType === 'application/json') {
    const payload = JSON.parse(request.body) as Record<string, unknown>;
    return {
      envelope_id,
      type: 'events_api',
      payload,
      accepts_response_payload: false,
      retry_attempt: options.retryAttempt ?? 0,
      retry_reason: options.retryReason ?? '',
    };
  }
  const form = new URLSearchParams(request.body);
  const interaction = form.get('payload');
  if (interaction !== null) {
    const payload = JSON.parse(interaction) as Record<string, unknown>;
    // Only a view submission's ack can carry a response (errors, update, push).
    return { envelope_id, type: 'interactive', payload, accepts_response_payload: payload.type === 'view_submission' };
  }
  return { envelope_id, type: 'slash_commands', payload: Object.fromEntries(form), accepts_response_payload: true };
}
