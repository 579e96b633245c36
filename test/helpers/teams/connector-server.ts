import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { adaptiveCardProblems, cardsIn, ConnectorSpec } from './schemas.ts';

/** One request the bot made to the connector. */
export interface ConnectorCall {
  method: string;
  path: string;
  operationId: string | undefined;
  params: Record<string, string>;
  body: Record<string, unknown>;
  authorization: string | undefined;
}

/**
 * A local Bot Framework connector (the service behind an activity's `serviceUrl`): records
 * every `/v3/conversations/...` call, answers like Teams does, and keeps every departure
 * from ConnectorAPI.swagger.json and every invalid Adaptive Card in `problems`.
 */
export class ConnectorServer {
  readonly calls: ConnectorCall[] = [];
  readonly problems: string[] = [];
  private readonly spec = new ConnectorSpec();
  private readonly server: Server;
  private nextId = 1_767_000_000_000;
  url = '';

  constructor() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const body = (text ? JSON.parse(text) : {}) as Record<string, unknown>;
        const path = new URL(req.url ?? '/', 'http://x').pathname;
        const { operationId, params, problems } = this.spec.check(req.method ?? 'GET', path, body);
        const activity = operationId === 'Conversations_CreateConversation' ? body.activity : body;
        for (const card of cardsIn(activity)) problems.push(...adaptiveCardProblems(card).map((p) => `card: ${p}`));
        this.problems.push(...problems.map((p) => `${req.method} ${path}: ${p}`));
        this.calls.push({ method: req.method ?? '', path, operationId, params, body, authorization: req.headers.authorization });
        const reply = this.answer(operationId, params, body);
        res.writeHead(reply.status, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(reply.body));
      });
    });
  }

  private answer(operationId: string | undefined, params: Record<string, string>, body: Record<string, unknown>): { status: number; body: unknown } {
    const id = String(this.nextId++);
    switch (operationId) {
      case 'Conversations_CreateConversation': {
        // Teams starts a thread in the channel: the conversation id carries the root post's id.
        const channel = (body.channelData as { channel?: { id?: string } } | undefined)?.channel?.id ?? `a:${id}`;
        return { status: 201, body: { id: `${channel};messageid=${id}`, activityId: id, serviceUrl: this.url } };
      }
      case 'Conversations_SendToConversation':
      case 'Conversations_ReplyToActivity':
        return { status: 201, body: { id } };
      case 'Conversations_UpdateActivity':
        return { status: 200, body: { id: params.activityId } };
      default:
        return { status: 404, body: { error: { code: 'NotFound', message: 'not simulated' } } };
    }
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/`;
    return this;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Calls recorded since `from` (an index into `calls`). */
  since(from: number): ConnectorCall[] {
    return this.calls.slice(from);
  }
}
