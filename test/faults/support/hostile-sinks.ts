import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { Webhook } from 'standardwebhooks';
import { SPECS_DIR } from '../../helpers/specs.ts';

/** One mail as it crossed the wire: the raw message (headers byte for byte) and mailparser's reading of it. */
export interface ReceivedMail {
  raw: string;
  parsed: ParsedMail;
}

/** A real SMTP server on 127.0.0.1 keeping every message raw and parsed. */
export class SmtpSink {
  readonly mails: ReceivedMail[] = [];
  private readonly server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    closeTimeout: 50,
    onData: (stream, _session, done) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        simpleParser(raw).then((parsed) => {
          this.mails.push({ raw, parsed });
          done();
        }, done);
      });
    },
  });
  port = 0;

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', () => resolve()));
    this.port = (this.server.server.address() as AddressInfo).port;
    return this;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** A webhook receiver verifying every request with the standardwebhooks library, as a subscriber would. */
export class WebhookSink {
  readonly received: { raw: string; payload: unknown; verified: boolean; error?: string }[] = [];
  private readonly server: Server;
  url = '';

  constructor(private readonly secret: string) {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        try {
          const payload = new Webhook(this.secret).verify(raw, req.headers as Record<string, string>);
          this.received.push({ raw, payload, verified: true });
        } catch (e) {
          this.received.push({ raw, payload: undefined, verified: false, error: (e as Error).message });
        }
        res.writeHead(204).end();
      });
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
    return this;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

// ajv-formats is CommonJS: under ESM its function sits on `default`.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as unknown as (ajv: Ajv) => Ajv;

/** The Statuspage manage API (`POST`/`PATCH /pages/{page}/incidents`): checks the key and every body against the OpenAPI schema. */
export class StatuspageSink {
  readonly requests: { method: string; path: string; body: { incident: Record<string, unknown> }; problems: string[] }[] = [];
  private readonly server: Server;
  private readonly create: ValidateFunction;
  private readonly patch: ValidateFunction;
  private next = 1;
  url = '';

  constructor(private readonly apiKey: string) {
    const spec = JSON.parse(readFileSync(join(SPECS_DIR, 'statuspage/statuspage-manage-api.openapi3.json'), 'utf8')) as { components: { schemas: Record<string, object> } };
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(ajv);
    this.create = ajv.compile(spec.components.schemas.postPagesPageIdIncidents!);
    this.patch = ajv.compile(spec.components.schemas.patchPagesPageIdIncidents!);
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (req.headers.authorization !== `OAuth ${this.apiKey}`) return void res.writeHead(401).end();
        // A retried create first searches (GET ?q=): nothing was created here under another answer.
        if (req.method === 'GET') return void res.writeHead(200, { 'content-type': 'application/json' }).end('[]');
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { incident: Record<string, unknown> };
        const validate = req.method === 'POST' ? this.create : this.patch;
        const problems = validate(body) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
        this.requests.push({ method: req.method ?? '', path: req.url ?? '', body, problems });
        if (problems.length) return void res.writeHead(422).end();
        res.writeHead(req.method === 'POST' ? 201 : 200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: `sp-${this.next++}` }));
      });
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1`;
    return this;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
