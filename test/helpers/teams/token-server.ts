import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One token request as the endpoint received it. */
export interface TokenRequest {
  kind: 'entra' | 'imds' | 'app-service';
  method: string;
  /** The tenant in the path of an Entra request (`botframework.com` for multi-tenant bots). */
  tenant?: string;
  /** Form fields (Entra) or query parameters (managed identity). */
  params: URLSearchParams;
  headers: IncomingMessage['headers'];
  /** The token it was given. */
  token: string;
}

/**
 * Microsoft's token endpoints on 127.0.0.1, as the real ones answer: Entra's OAuth 2.0 v2
 * endpoint (`POST /{tenant}/oauth2/v2.0/token`, client credentials, `expires_in` a number) and a
 * managed identity's (`GET /metadata/identity/oauth2/token` with `Metadata: true` like IMDS, or
 * `GET /msi/token` with `X-IDENTITY-HEADER` like App Service; `expires_in` a string). Every token
 * is new and unique, so a test can see which request a bearer came from.
 */
export class TokenServer {
  readonly requests: TokenRequest[] = [];
  private readonly server: Server;
  /** The secret App Service puts in IDENTITY_HEADER. */
  readonly identityHeader = `identity-${randomUUID()}`;
  url = '';

  constructor() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'http://127.0.0.1');
        const send = (status: number, body: unknown) => {
          res.writeHead(status, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify(body));
        };
        const entra = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(url.pathname);
        if (entra && req.method === 'POST') {
          const params = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
          if (req.headers['content-type'] !== 'application/x-www-form-urlencoded' || params.get('grant_type') !== 'client_credentials' || !params.get('client_secret')) {
            send(400, { error: 'invalid_request', error_description: 'AADSTS900144: The request body must contain client credentials.' });
            return;
          }
          const token = `entra-${randomUUID()}`;
          this.requests.push({ kind: 'entra', method: req.method, tenant: decodeURIComponent(entra[1]!), params, headers: req.headers, token });
          send(200, { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: token });
          return;
        }
        const imds = url.pathname === '/metadata/identity/oauth2/token';
        const appService = url.pathname === '/msi/token';
        if ((imds || appService) && req.method === 'GET') {
          const authorized = imds ? req.headers.metadata === 'true' : req.headers['x-identity-header'] === this.identityHeader;
          if (!authorized || !url.searchParams.get('resource') || !url.searchParams.get('api-version')) {
            send(400, { error: 'invalid_request', error_description: 'Required metadata header not specified' });
            return;
          }
          const token = `msi-${randomUUID()}`;
          this.requests.push({ kind: imds ? 'imds' : 'app-service', method: req.method, params: url.searchParams, headers: req.headers, token });
          const expiresOn = Math.floor(Date.now() / 1000) + 86_400;
          send(200, { access_token: token, client_id: url.searchParams.get('client_id'), expires_in: '86399', expires_on: String(expiresOn), resource: url.searchParams.get('resource'), token_type: 'Bearer' });
          return;
        }
        send(404, { error: 'not_found' });
      });
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
