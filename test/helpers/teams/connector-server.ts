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
  /** What the connector answered. */
  status: number;
  reply: unknown;
}

type CallFilter = (operationId: string | undefined) => boolean;

/** What the bot sends from its worker, as opposed to replies inside a turn (ReplyToActivity). */
export const PROACTIVE: CallFilter = (op) => op !== 'Conversations_ReplyToActivity';

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
  private holding: CallFilter | undefined;
  private readonly held: (() => void)[] = [];
  private readonly failures: { filter: CallFilter; status: number; headers: Record<string, string> }[] = [];
  url = '';

  /** Requests being held (see `hold`), not answered yet. */
  get heldCount(): number {
    return this.held.length;
  }

  /** Holds matching requests unanswered until `release()`: a slow or stuck connector. */
  hold(filter: CallFilter = PROACTIVE): void {
    this.holding = filter;
  }

  /** Answers every held request and stops holding. */
  release(): void {
    this.holding = undefined;
    for (const answer of this.held.splice(0)) answer();
  }

  /** The next `times` matching requests fail with `status` (and headers, e.g. `Retry-After`), as a throttled or broken connector does. */
  failNext(times: number, status: number, headers: Record<string, string> = {}, filter: CallFilter = PROACTIVE): void {
    for (let i = 0; i < times; i++) this.failures.push({ filter, status, headers });
  }

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
        const respond = () => {
          const index = this.failures.findIndex((f) => f.filter(operationId));
          const failure = index >= 0 ? this.failures.splice(index, 1)[0] : undefined;
          const reply = failure
            ? { status: failure.status, headers: failure.headers, body: { error: { code: 'ServiceError', message: 'simulated failure' } } }
            : { ...this.answer(operationId, params, body), headers: {} };
          this.calls.push({ method: req.method ?? '', path, operationId, params, body, authorization: req.headers.authorization, status: reply.status, reply: reply.body });
          res.writeHead(reply.status, { 'Content-Type': 'application/json', ...reply.headers });
          res.end(JSON.stringify(reply.body));
        };
        if (this.holding?.(operationId)) this.held.push(respond);
        else respond();
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
    this.release();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Calls recorded since `from` (an index into `calls`). */
  since(from: number): ConnectorCall[] {
    return this.calls.slice(from);
  }
}
