import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { Webhook } from 'standardwebhooks';

/** One message the SMTP sink accepted in full (a connection cut mid-DATA records nothing). */
export interface ReceivedMail {
  /** `<update.<update>.<subscriber>@domain>`: tsuiki's idempotency key on the wire. */
  messageId: string;
  /** RCPT TO addresses of the envelope. */
  to: string[];
  /** `In-Reply-To` / `References`: the incident's root id. */
  inReplyTo: string | undefined;
  references: string | undefined;
  /** Date.now() when the final dot arrived. */
  at: number;
}

/** A real SMTP server on 127.0.0.1 that accepts and records every message; `down()` makes its port refuse connections. */
export interface SmtpSink {
  readonly url: string;
  readonly port: number;
  readonly received: ReceivedMail[];
  isUp(): boolean;
  /** Closes the listener and every open connection: clients get ECONNREFUSED until `up()`. */
  down(): Promise<void>;
  /** Listens on the same port again. */
  up(): Promise<void>;
  close(): Promise<void>;
}

/** The value of one header in a raw message head (folded lines joined). */
function header(head: string, name: string): string | undefined {
  const unfolded = head.replace(/\r\n[ \t]+/g, ' ');
  const match = new RegExp(`^${name}:[ \\t]*(.*)$`, 'im').exec(unfolded);
  return match?.[1]?.trim();
}

export async function startSmtpSink(): Promise<SmtpSink> {
  const received: ReceivedMail[] = [];
  let server: SMTPServer | undefined;
  let port = 0;
  const listen = async () => {
    const s = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      // Pooled clients keep connections open: close() must drop them, not wait for them.
      closeTimeout: 100,
      onData(stream, session, done) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('error', () => {});
        // 'end' only for a message received in full; smtp-server destroys the stream of a cut one.
        stream.on('end', () => {
          const raw = Buffer.concat(chunks).toString('latin1');
          const head = raw.slice(0, Math.max(0, raw.indexOf('\r\n\r\n')));
          received.push({
            messageId: header(head, 'message-id') ?? '(none)',
            to: session.envelope.rcptTo.map((r) => r.address),
            inReplyTo: header(head, 'in-reply-to'),
            references: header(head, 'references'),
            at: Date.now(),
          });
          done();
        });
      },
    });
    s.on('error', () => {});
    await new Promise<void>((resolve, reject) => {
      s.server.once('error', reject);
      s.listen(port, '127.0.0.1', () => resolve());
    });
    port = (s.server.address() as AddressInfo).port;
    server = s;
  };
  const down = async () => {
    const s = server;
    server = undefined;
    if (s) await new Promise<void>((r) => s.close(() => r()));
  };
  await listen();
  return {
    get url() {
      return `smtp://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    received,
    isUp: () => server !== undefined,
    down,
    up: async () => {
      if (!server) await listen();
    },
    close: down,
  };
}

/** One webhook the receiver accepted: signature verified with the `standardwebhooks` library. */
export interface ReceivedWebhook {
  /** `webhook-id`: tsuiki's idempotency key, `update:<update>:webhook:<subscriber>`. */
  id: string;
  /** The request path: which subscriber's URL it went to. */
  path: string;
  updateId: string;
  incidentId: string;
  at: number;
}

/** A request the receiver answered with an error on purpose. */
export interface RefusedWebhook {
  id: string;
  status: number;
  retryAfterSeconds: number | undefined;
  at: number;
}

/** How the receiver answers: 2xx after verifying, or a scripted error for every request. */
export type WebhookMode = { kind: 'accept' } | { kind: 'fail'; status: number; retryAfterSeconds?: number };

export interface WebhookReceiver {
  readonly base: string;
  readonly port: number;
  readonly received: ReceivedWebhook[];
  readonly refused: RefusedWebhook[];
  /** Requests whose signature did not verify (answered 400). */
  readonly rejected: string[];
  setMode(mode: WebhookMode): void;
  /** Closes the listener and every kept-alive connection: requests fail with ECONNREFUSED until `up()`. */
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A webhook receiver on 127.0.0.1 verifying every request as a Standard Webhooks consumer
 * would (`new Webhook(secret).verify`: signature and timestamp tolerance) and recording
 * each accepted `webhook-id`; one secret for every subscriber URL under it.
 */
export async function startWebhookReceiver(secret: string): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  const refused: RefusedWebhook[] = [];
  const rejected: string[] = [];
  const verifier = new Webhook(secret);
  let mode: WebhookMode = { kind: 'accept' };
  let server: Server | undefined;
  let port = 0;

  const handle = (headers: IncomingHttpHeaders, path: string, body: string): { status: number; headers?: Record<string, string> } => {
    const id = String(headers['webhook-id'] ?? '');
    if (mode.kind === 'fail') {
      refused.push({ id, status: mode.status, retryAfterSeconds: mode.retryAfterSeconds, at: Date.now() });
      return { status: mode.status, ...(mode.retryAfterSeconds !== undefined ? { headers: { 'retry-after': String(mode.retryAfterSeconds) } } : {}) };
    }
    try {
      const payload = verifier.verify(body, headers as Record<string, string>) as { data: { incident: { id: string }; update: { id: string } } };
      received.push({ id, path, updateId: payload.data.update.id, incidentId: payload.data.incident.id, at: Date.now() });
      return { status: 204 };
    } catch (e) {
      rejected.push(`${id}: ${(e as Error).message}`);
      return { status: 400 };
    }
  };

  const listen = async () => {
    const s = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const answer = handle(req.headers, req.url ?? '', Buffer.concat(chunks).toString('utf8'));
        res.writeHead(answer.status, { 'content-length': '0', ...answer.headers }).end();
      });
    });
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => resolve());
    });
    port = (s.address() as AddressInfo).port;
    server = s;
  };
  const down = async () => {
    const s = server;
    server = undefined;
    if (!s) return;
    await new Promise<void>((r) => {
      s.close(() => r());
      s.closeAllConnections();
    });
  };
  await listen();
  return {
    get base() {
      return `http://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    received,
    refused,
    rejected,
    setMode: (m) => {
      mode = m;
    },
    down,
    up: async () => {
      if (!server) await listen();
    },
    close: down,
  };
}

/** How many times each key arrived, and how many arrivals beyond the first there were in all. */
export function countKeys(keys: Iterable<string>): { counts: Map<string, number>; duplicates: number } {
  const counts = new Map<string, number>();
  let duplicates = 0;
  for (const key of keys) {
    const n = (counts.get(key) ?? 0) + 1;
    counts.set(key, n);
    if (n > 1) duplicates += 1;
  }
  return { counts, duplicates };
}
