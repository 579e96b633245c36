import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { webApiSpec } from './web-api-spec.ts';

/** One request the fake Slack received: a Web API call, or a post to a response_url. */
export interface RecordedCall {
  method: string;
  args: Record<string, unknown>;
  /** For response_url posts: the id given to {@link FakeSlack.responseUrl}. */
  responseId?: string;
}

/**
 * A file of the external upload flow (files.getUploadURLExternal → POST of the bytes to its
 * upload_url → files.completeUploadExternal). Both methods are newer than the shared OpenAPI
 * spec: they follow @slack/web-api's types (request/files.d.ts, response/
 * FilesGetUploadURLExternalResponse.d.ts, FilesCompleteUploadExternalResponse.d.ts) and
 * Slack's method pages (the bytes go to upload_url as a POST, raw or as multipart form data).
 */
export interface FakeFile {
  id: string;
  filename: string;
  /** The byte length announced to files.getUploadURLExternal. */
  length: number;
  /** What reached upload_url; undefined until then. */
  bytes?: Buffer;
  contentType?: string;
  /** Set by files.completeUploadExternal. */
  title?: string;
  channel?: string;
  threadTs?: string;
  initialComment?: string;
  completed: boolean;
}

/** A message as the fake workspace holds it. */
export interface StoredMessage {
  channel: string;
  ts: string;
  text: string;
  blocks: Record<string, unknown>[];
}

export interface FakeSlackOptions {
  token: string;
  /** users.info answers: id → locale, display name and (optionally) the profile's IANA zone. */
  users?: Record<string, { locale: string; name: string; tz?: string }>;
  /** Channel names that already exist in the workspace. */
  takenNames?: string[];
  /** Socket Mode: the app-level token (`xapp-…`) and where `apps.connections.open` sends the app. */
  socketMode?: { appToken: string; issueUrl: () => string };
}

/**
 * A local Slack Web API: records every call, rejects any method or argument that is not in
 * the OpenAPI spec (or @slack/web-api's types for newer methods), checks Block Kit limits,
 * and behaves like Slack where tsuiki depends on it (channel names, message ts, pins).
 */
export class FakeSlack {
  readonly calls: RecordedCall[] = [];
  /** Calls answered with an error because they broke the spec; a passing test leaves this empty. */
  readonly rejected: { method: string; reason: string }[] = [];
  readonly messages = new Map<string, StoredMessage>();
  readonly pins: { channel: string; timestamp: string }[] = [];
  readonly channels = new Map<string, string>();
  /** Files of the external upload flow, by id. */
  readonly files = new Map<string, FakeFile>();
  private readonly rateLimits: { method: string; retryAfter: number; when: (args: Record<string, unknown>) => boolean }[] = [];
  private server: Server | undefined;
  private held: Promise<void> | undefined;
  private releaseHeld: (() => void) | undefined;
  private holdMethods: Set<string> | undefined;
  private holdAfter = 0;
  private seq = 0;
  url = '';

  constructor(private readonly options: FakeSlackOptions) {
    for (const name of options.takenNames ?? []) this.channels.set(name, `CTAKEN${this.channels.size}`);
  }

  get apiUrl(): string {
    return `${this.url}/api/`;
  }

  /** A response_url that lands on this server. */
  responseUrl(id: string): string {
    return `${this.url}/response/${id}`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      void this.handle(req).then(
        ({ status, body, headers }) => {
          res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
          res.end(JSON.stringify(body));
        },
        (e: unknown) => {
          res.writeHead(500);
          res.end(String(e));
        },
      );
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.release();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  /** Every request from now on hangs (Slack's API not answering) until {@link release}. */
  hold(options: { methods?: string[]; after?: number } = {}): void {
    this.held ??= new Promise<void>((resolve) => (this.releaseHeld = resolve));
    this.holdMethods = options.methods ? new Set(options.methods) : undefined;
    this.holdAfter = options.after ?? 0;
  }

  /** Answers the held requests and those that follow. */
  release(): void {
    this.releaseHeld?.();
    this.held = undefined;
  }

  /** Whether a call of `method` waits: it is held and past the calls let through. */
  private holds(method: string): boolean {
    if (!this.held || (this.holdMethods && !this.holdMethods.has(method))) return false;
    if (this.holdAfter > 0) {
      this.holdAfter -= 1;
      return false;
    }
    return true;
  }

  /** The next call of `method` matching `when` is answered 429 with Retry-After. */
  rateLimitOnce(method: string, retryAfter: number, when: (args: Record<string, unknown>) => boolean = () => true): void {
    this.rateLimits.push({ method, retryAfter, when });
  }

  callsOf(method: string): Record<string, unknown>[] {
    return this.calls.filter((c) => c.method === method).map((c) => c.args);
  }

  /** Web API calls in order, by method name (response_url posts included as `response_url`). */
  methods(): string[] {
    return this.calls.map((c) => c.method);
  }

  private async handle(req: IncomingMessage): Promise<{ status: number; body: unknown; headers?: Record<string, string> }> {
    if (req.url?.startsWith('/upload/')) return this.receiveUpload(req);
    const raw = await readBody(req);
    const url = new URL(req.url ?? '/', this.url);
    const held = this.holds(url.pathname.startsWith('/response/') ? 'response_url' : url.pathname.replace(/^\/api\//, '')) ? this.held : undefined;
    if (held) {
      await held;
      // The caller is gone (its process was killed while it waited): Slack never got the call.
      if (req.socket.destroyed || !req.socket.writable) throw new Error('the caller hung up while held');
    }
    if (url.pathname.startsWith('/response/')) {
      const args = JSON.parse(raw) as Record<string, unknown>;
      const problem = blockProblem(args.blocks);
      if (problem) return this.reject('response_url', problem);
      this.calls.push({ method: 'response_url', args, responseId: decodeURIComponent(url.pathname.slice('/response/'.length)) });
      return { status: 200, body: { ok: true } };
    }
    const method = url.pathname.replace(/^\/api\//, '');
    const args: Record<string, unknown> = Object.fromEntries(url.searchParams);
    const type = req.headers['content-type'] ?? '';
    if (raw && type.includes('application/json')) Object.assign(args, JSON.parse(raw));
    else if (raw) Object.assign(args, Object.fromEntries(new URLSearchParams(raw)));

    // apps.connections.open takes the app-level token and nothing else does, as on Slack.
    const appLevel = method === 'apps.connections.open';
    const token = appLevel ? this.options.socketMode?.appToken : this.options.token;
    if (req.headers.authorization !== `Bearer ${token}`) {
      const wrongKind = req.headers.authorization === `Bearer ${appLevel ? this.options.token : this.options.socketMode?.appToken}`;
      return this.reject(method, wrongKind ? 'not_allowed_token_type' : 'not_authed');
    }
    const spec = webApiSpec().get(method);
    if (!spec) return this.reject(method, `unknown_method`);
    const unknown = Object.keys(args).filter((k) => !spec.params.has(k));
    if (unknown.length) return this.reject(method, `invalid_arguments: ${unknown.join(',')}`);
    const missing = [...spec.required].filter((k) => args[k] === undefined || args[k] === '');
    if (missing.length) return this.reject(method, `missing_argument: ${missing.join(',')}`);
    if (typeof args.blocks === 'string') args.blocks = JSON.parse(args.blocks);
    if (typeof args.view === 'string') args.view = JSON.parse(args.view);
    const problem = blockProblem(args.blocks) ?? (args.view ? blockProblem((args.view as { blocks?: unknown }).blocks) : undefined);
    if (problem) return this.reject(method, problem);

    const limit = this.rateLimits.findIndex((r) => r.method === method && r.when(args));
    if (limit >= 0) {
      const { retryAfter } = this.rateLimits.splice(limit, 1)[0]!;
      this.calls.push({ method: `${method} (429)`, args });
      return { status: 429, body: { ok: false, error: 'ratelimited' }, headers: { 'Retry-After': String(retryAfter) } };
    }
    this.calls.push({ method, args });
    return { status: 200, body: this.answer(method, args) };
  }

  /**
   * The upload_url of files.getUploadURLExternal: takes the file's bytes in a POST, raw or as
   * multipart form data (field `file`), with no token (the URL is the credential).
   */
  private async receiveUpload(req: IncomingMessage): Promise<{ status: number; body: unknown }> {
    const raw = await readBytes(req);
    if (this.held) await this.held;
    const id = decodeURIComponent(new URL(req.url ?? '/', this.url).pathname.slice('/upload/'.length));
    const file = this.files.get(id);
    if (req.method !== 'POST' || !file || file.bytes) {
      this.rejected.push({ method: 'upload_url', reason: !file ? `unknown file ${id}` : file.bytes ? 'uploaded twice' : `method ${req.method}` });
      return { status: 404, body: { ok: false } };
    }
    const type = req.headers['content-type'] ?? '';
    let bytes = raw;
    if (type.startsWith('multipart/form-data')) {
      const form = await new Response(new Uint8Array(raw), { headers: { 'content-type': type } }).formData();
      const part = form.get('file');
      bytes = typeof part === 'string' ? Buffer.from(part) : Buffer.from(await (part as Blob).arrayBuffer());
    }
    if (bytes.length !== file.length) this.rejected.push({ method: 'upload_url', reason: `${bytes.length} bytes, ${file.length} announced` });
    Object.assign(file, { bytes, contentType: type });
    this.calls.push({ method: 'upload_url', args: { file_id: id, bytes: bytes.length } });
    return { status: 200, body: `OK - ${bytes.length}` };
  }

  private reject(method: string, reason: string) {
    this.rejected.push({ method, reason });
    return { status: 200, body: { ok: false, error: reason.split(':')[0] } };
  }

  private nextTs(): string {
    this.seq++;
    return `1772000000.${String(this.seq).padStart(6, '0')}`;
  }

  private answer(method: string, args: Record<string, unknown>): Record<string, unknown> {
    const fail = (error: string) => ({ ok: false, error });
    switch (method) {
      case 'apps.connections.open':
        return { ok: true, url: this.options.socketMode!.issueUrl() };
      case 'auth.test':
        return { ok: true, url: 'https://acme.slack.com/', team: 'Acme', user: 'tsuiki', team_id: 'T00FAKE00BB', user_id: 'UBOT', bot_id: 'BBOT' };
      case 'users.info': {
        const user = this.options.users?.[String(args.user)];
        if (!user) return fail('user_not_found');
        return { ok: true, user: { id: args.user, name: user.name.toLowerCase(), real_name: user.name, locale: user.locale, ...(user.tz ? { tz: user.tz } : {}), profile: { display_name: user.name } } };
      }
      case 'conversations.create': {
        const name = String(args.name);
        if (name.length > 80 || !/^[a-z0-9_-]+$/.test(name)) return fail('invalid_name_specials');
        if (this.channels.has(name)) return fail('name_taken');
        const id = `CINC${String(this.channels.size + 1).padStart(4, '0')}`;
        this.channels.set(name, id);
        return { ok: true, channel: { id, name, is_channel: true, context_team_id: 'T00FAKE00BB' } };
      }
      case 'chat.postMessage': {
        const channel = String(args.channel);
        if (channel === 'CNOTMEMBER') return fail('not_in_channel');
        const ts = this.nextTs();
        this.messages.set(`${channel}/${ts}`, { channel, ts, text: String(args.text ?? ''), blocks: (args.blocks as never) ?? [] });
        return { ok: true, channel, ts, message: { text: args.text, ts } };
      }
      case 'chat.update': {
        const key = `${String(args.channel)}/${String(args.ts)}`;
        const existing = this.messages.get(key);
        if (!existing) return fail('message_not_found');
        this.messages.set(key, { ...existing, text: String(args.text ?? ''), blocks: (args.blocks as never) ?? [] });
        return { ok: true, channel: args.channel, ts: args.ts };
      }
      case 'chat.postEphemeral':
        return { ok: true, message_ts: this.nextTs() };
      case 'pins.add':
        this.pins.push({ channel: String(args.channel), timestamp: String(args.timestamp) });
        return { ok: true };
      case 'views.open':
        return { ok: true, view: { id: `V${this.seq++}`, ...(args.view as object) } };
      case 'files.getUploadURLExternal': {
        const length = Number(args.length);
        if (!Number.isInteger(length) || length <= 0) return fail('invalid_arguments');
        const id = `F${String(this.files.size + 1).padStart(8, '0')}`;
        this.files.set(id, { id, filename: String(args.filename), length, completed: false });
        return { ok: true, upload_url: `${this.url}/upload/${id}`, file_id: id };
      }
      case 'files.completeUploadExternal': {
        const list = (typeof args.files === 'string' ? JSON.parse(args.files) : args.files) as { id: string; title?: string }[];
        if (!Array.isArray(list) || list.length === 0) return fail('invalid_arguments');
        if (args.thread_ts !== undefined && args.channel_id === undefined) return fail('invalid_arguments');
        const found = list.map((f) => this.files.get(f.id));
        // Completing a file whose bytes never arrived breaks the flow: a passing test never does.
        if (found.some((f) => !f?.bytes || f.completed)) return this.reject(method, 'file_not_found: bytes not uploaded or completed twice').body;
        const channel = args.channel_id === undefined ? undefined : String(args.channel_id);
        const shared = found.map((f, i) =>
          Object.assign(f!, {
            completed: true,
            title: list[i]!.title ?? f!.filename,
            ...(channel ? { channel } : {}),
            ...(args.thread_ts ? { threadTs: String(args.thread_ts) } : {}),
            ...(args.initial_comment ? { initialComment: String(args.initial_comment) } : {}),
          }),
        );
        return { ok: true, files: shared.map((f) => ({ id: f.id, name: f.filename, title: f.title, size: f.length, channels: channel ? [channel] : [] })) };
      }
      case 'bookmarks.add':
        return { ok: true, bookmark: { id: `Bk${this.seq++}`, channel_id: args.channel_id, title: args.title, link: args.link, type: 'link' } };
      default:
        return { ok: true };
    }
  }
}

/** Block Kit limits Slack enforces (50 blocks, 3,000-character sections, 150-character headers). */
function blockProblem(blocks: unknown): string | undefined {
  if (blocks === undefined) return undefined;
  const list = (typeof blocks === 'string' ? JSON.parse(blocks) : blocks) as { type: string; text?: { text: string }; fields?: { text: string }[] }[];
  if (!Array.isArray(list)) return 'invalid_blocks: not an array';
  if (list.length > 50) return `invalid_blocks: ${list.length} blocks`;
  for (const b of list) {
    if (b.type === 'section' && (b.text?.text.length ?? 0) > 3000) return 'invalid_blocks: section over 3000';
    if (b.type === 'section' && (b.fields?.length ?? 0) > 10) return 'invalid_blocks: over 10 fields';
    if (b.fields?.some((f) => f.text.length > 2000)) return 'invalid_blocks: field over 2000';
    if (b.type === 'header' && (b.text?.text.length ?? 0) > 150) return 'invalid_blocks: header over 150';
  }
  return undefined;
}

function readBytes(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (data += c));
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}
