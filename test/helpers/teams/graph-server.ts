import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A self-signed certificate for 127.0.0.1, made by openssl for this test run only. */
export function selfSignedCert(): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), 'tsuiki-graph-'));
  try {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    ], { stdio: 'ignore' });
    return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A local HTTPS stand-in for Microsoft Graph and its token endpoint: client credentials
 * (`POST /{tenant}/oauth2/v2.0/token`) and channel creation (`POST /v1.0/teams/{id}/channels`),
 * with Graph's shapes and its NameAlreadyExists error.
 */
export class GraphServer {
  readonly tokenRequests: URLSearchParams[] = [];
  readonly channelRequests: { teamId: string; authorization: string | undefined; body: Record<string, unknown> }[] = [];
  readonly channels = new Map<string, string>();
  readonly token = `graph-token-${Math.random().toString(36).slice(2)}`;
  /** Answers queued for the next channel creations (429/503 with Retry-After, as Graph throttles). */
  private readonly throttles: { status: number; retryAfter: string }[] = [];
  private readonly server: Server;
  private readonly cert: { key: string; cert: string };
  url = '';

  constructor() {
    this.cert = selfSignedCert();
    this.server = createServer(this.cert, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const path = new URL(req.url ?? '/', 'https://x').pathname;
        const send = (status: number, body: unknown) => {
          res.writeHead(status, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify(body));
        };
        const token = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(path);
        if (token && req.method === 'POST') {
          const form = new URLSearchParams(text);
          this.tokenRequests.push(form);
          if (form.get('grant_type') !== 'client_credentials' || form.get('scope') !== 'https://graph.microsoft.com/.default') {
            return send(400, { error: 'invalid_request', error_description: 'unsupported grant or scope' });
          }
          return send(200, { token_type: 'Bearer', expires_in: 3599, access_token: this.token });
        }
        const channels = /^\/v1\.0\/teams\/([^/]+)\/channels$/.exec(path);
        if (channels && req.method === 'POST') {
          const body = JSON.parse(text) as Record<string, unknown>;
          const teamId = decodeURIComponent(channels[1]!);
          this.channelRequests.push({ teamId, authorization: req.headers.authorization, body });
          if (req.headers.authorization !== `Bearer ${this.token}`) return send(401, { error: { code: 'InvalidAuthenticationToken', message: 'Access token is empty.' } });
          const throttle = this.throttles.shift();
          if (throttle) {
            res.writeHead(throttle.status, { 'Content-Type': 'application/json', 'Retry-After': throttle.retryAfter });
            return res.end(JSON.stringify({ error: { code: 'TooManyRequests', message: 'Too many requests, retry later.' } }));
          }
          const name = String(body.displayName ?? '');
          if ([...this.channels.values()].includes(name)) {
            return send(400, { error: { code: 'NameAlreadyExists', message: 'Channel name already existed, please use other name.' } });
          }
          const id = `19:${Math.random().toString(16).slice(2, 14)}@thread.tacv2`;
          this.channels.set(id, name);
          return send(201, { id, displayName: name, description: body.description, membershipType: 'standard', webUrl: `https://teams.microsoft.com/l/channel/${encodeURIComponent(id)}` });
        }
        send(404, { error: { code: 'NotFound', message: `${req.method} ${path}` } });
      });
    });
  }

  /** The next channel creation is refused with `status` and `Retry-After: retryAfter`. */
  throttleNext(status: number, retryAfter: string): void {
    this.throttles.push({ status, retryAfter });
  }

  /** An HTTPS agent that trusts this server's certificate (and nothing else). */
  agent(): Agent {
    return new Agent({ ca: this.cert.cert });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `https://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
