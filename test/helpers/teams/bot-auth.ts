import { createSign, generateKeyPairSync, type KeyObject, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CredentialsFactory } from '../../../src/chat/teams/teams-adapter.ts';

const ISSUER = 'https://api.botframework.com';

/**
 * A local stand-in for the Bot Framework's token issuer: an OpenID metadata document and
 * JWKS (with Teams' `endorsements`) on 127.0.0.1, and RS256 channel tokens signed by it.
 */
export class ChannelTokenIssuer {
  private readonly keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
  private readonly kid = randomUUID();
  private readonly server: Server;
  url = '';

  constructor() {
    this.server = createServer((req, res) => {
      res.setHeader('Content-Type', 'application/json');
      if (req.url === '/.well-known/openidconfiguration') {
        res.end(JSON.stringify({ issuer: ISSUER, jwks_uri: `${this.url}/keys`, id_token_signing_alg_values_supported: ['RS256'] }));
      } else if (req.url === '/keys') {
        const jwk = this.keys.publicKey.export({ format: 'jwk' });
        res.end(JSON.stringify({ keys: [{ ...jwk, kty: 'RSA', use: 'sig', kid: this.kid, endorsements: ['msteams'] }] }));
      } else {
        res.statusCode = 404;
        res.end('{}');
      }
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

  /** The settings that make botbuilder trust this issuer instead of login.botframework.com. */
  authOptions(): Record<string, string> {
    return { ToBotFromChannelOpenIdMetadataUrl: `${this.url}/.well-known/openidconfiguration`, ToBotFromChannelTokenIssuer: ISSUER };
  }

  /** A channel token for `appId` and `serviceUrl`, as the Bot Framework service signs them; `claims` override any claim (`exp`, `iss`, …). */
  token(appId: string, serviceUrl: string, signWith: KeyObject = this.keys.privateKey, claims: Record<string, unknown> = {}): string {
    const now = Math.floor(Date.now() / 1000);
    const header = { alg: 'RS256', typ: 'JWT', kid: this.kid };
    const payload = { iss: ISSUER, aud: appId, serviceurl: serviceUrl, nbf: now - 60, iat: now - 60, exp: now + 3600, ...claims };
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const data = `${b64(header)}.${b64(payload)}`;
    const signature = createSign('RSA-SHA256').update(data).sign(signWith).toString('base64url');
    return `${data}.${signature}`;
  }
}

/**
 * Outbound credentials without Azure AD: the bot's calls to the connector carry a fixed bearer
 * token, so a test can see that replies are authenticated.
 */
export function staticCredentials(appId: string, token: string): CredentialsFactory {
  const credentials = {
    async signRequest<T extends { headers: { set(name: string, value: string): void } }>(request: T): Promise<T> {
      request.headers.set('Authorization', `Bearer ${token}`);
      return request;
    },
  };
  return {
    isValidAppId: async (id: string) => id === appId,
    isAuthenticationDisabled: async () => false,
    createCredentials: async () => credentials,
  } as unknown as CredentialsFactory;
}
