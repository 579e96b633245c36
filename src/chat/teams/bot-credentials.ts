import { ServiceClientCredentialsFactory } from 'botframework-connector';

/** The Bot Framework's own audience: connector calls carry a token for it. */
export const BOT_FRAMEWORK_AUDIENCE = 'https://api.botframework.com';
/** The public cloud's Microsoft Entra login; a test points it at a local token endpoint. */
const DEFAULT_LOGIN_URL = 'https://login.microsoftonline.com';
/** Azure's Instance Metadata Service (VMs, AKS, Container Apps without IDENTITY_ENDPOINT). */
const DEFAULT_IMDS_URL = 'http://169.254.169.254/metadata/identity/oauth2/token';
/** A token is renewed this long before it expires. */
const RENEW_BEFORE_MS = 5 * 60_000;

export type BotAppType = 'SingleTenant' | 'MultiTenant' | 'UserAssignedMSI';

/** Where outbound tokens come from, per `MicrosoftAppType`. */
export interface BotCredentialSettings {
  appType: BotAppType;
  /** `MicrosoftAppId`: the app registration's id, or the managed identity's client id. */
  appId: string;
  /** `MicrosoftAppPassword` (client secret); never with a managed identity. */
  appPassword?: string | undefined;
  /** `MicrosoftAppTenantId`: the tenant single-tenant tokens are minted in. */
  tenantId?: string | undefined;
}

/** HTTP seams: the token endpoints (tests serve them on 127.0.0.1) and the fetch that reaches them. */
export interface TokenEndpoints {
  /** Microsoft Entra login, `https://login.microsoftonline.com` by default. */
  loginUrl?: string;
  /**
   * A managed identity's token endpoint: App Service and Functions publish theirs as
   * `IDENTITY_ENDPOINT` with the secret `IDENTITY_HEADER`; elsewhere Azure's IMDS answers.
   */
  identityEndpoint?: string;
  identityHeader?: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

/** A token request Microsoft refused (or an endpoint that did not answer): the message names the endpoint, never a secret. */
export class TokenError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
  ) {
    super(message);
    this.name = 'TokenError';
  }
}

interface Cached {
  value: string;
  expiresAt: number;
}

/**
 * Mints access tokens for one app: client credentials against Microsoft Entra (single-tenant
 * in `MicrosoftAppTenantId`, multi-tenant in `botframework.com`), or the managed identity's
 * endpoint for `UserAssignedMSI` (no password at all). Tokens are cached per audience until
 * five minutes before they expire; concurrent callers share one request.
 */
export class BotTokenSource {
  private readonly cache = new Map<string, Promise<Cached>>();
  private readonly fetch: typeof fetch;

  constructor(
    readonly settings: BotCredentialSettings,
    private readonly endpoints: TokenEndpoints = {},
    private readonly now: () => number = Date.now,
  ) {
    this.fetch = endpoints.fetch ?? globalThis.fetch;
  }

  /** A bearer token for `audience` (`https://api.botframework.com`, `https://graph.microsoft.com`, …). */
  async token(audience: string = BOT_FRAMEWORK_AUDIENCE): Promise<string> {
    const resource = audience.replace(/\/\.default$/, '').replace(/\/+$/, '');
    const cached = this.cache.get(resource);
    if (cached) {
      const current = await cached.catch(() => undefined);
      if (current && current.expiresAt - RENEW_BEFORE_MS > this.now()) return current.value;
      if (this.cache.get(resource) !== cached) return this.token(audience);
    }
    const minting = this.mint(resource);
    this.cache.set(resource, minting);
    minting.catch(() => {
      if (this.cache.get(resource) === minting) this.cache.delete(resource);
    });
    return (await minting).value;
  }

  private mint(resource: string): Promise<Cached> {
    return this.settings.appType === 'UserAssignedMSI' ? this.fromManagedIdentity(resource) : this.fromClientSecret(resource);
  }

  /** The OAuth 2.0 client-credentials grant (Microsoft identity platform v2 endpoint). */
  private async fromClientSecret(resource: string): Promise<Cached> {
    const { appId, appPassword, tenantId, appType } = this.settings;
    if (!appPassword) throw new TokenError(`MicrosoftAppPassword is required for MicrosoftAppType=${appType}`, undefined);
    const tenant = appType === 'SingleTenant' ? tenantId : 'botframework.com';
    if (!tenant) throw new TokenError('MicrosoftAppTenantId is required for MicrosoftAppType=SingleTenant', undefined);
    const url = `${(this.endpoints.loginUrl ?? DEFAULT_LOGIN_URL).replace(/\/+$/, '')}/${encodeURIComponent(tenant)}/oauth2/v2.0/token`;
    const body = new URLSearchParams({ grant_type: 'client_credentials', client_id: appId, client_secret: appPassword, scope: `${resource}/.default` });
    return this.request(url, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: body.toString() });
  }

  /** A user-assigned managed identity, named by its client id: App Service's endpoint when published, else IMDS. */
  private async fromManagedIdentity(resource: string): Promise<Cached> {
    const { identityEndpoint, identityHeader } = this.endpoints;
    const appService = Boolean(identityEndpoint && identityHeader);
    const url = new URL(appService ? identityEndpoint! : (identityEndpoint ?? DEFAULT_IMDS_URL));
    url.searchParams.set('api-version', appService ? '2019-08-01' : '2018-02-01');
    url.searchParams.set('resource', resource);
    url.searchParams.set('client_id', this.settings.appId);
    const headers: Record<string, string> = appService ? { 'X-IDENTITY-HEADER': identityHeader! } : { Metadata: 'true' };
    return this.request(url.toString(), { method: 'GET', headers });
  }

  private async request(url: string, init: RequestInit): Promise<Cached> {
    const where = new URL(url);
    const label = `${where.origin}${where.pathname}`;
    let res: Response;
    try {
      res = await this.fetch(url, { ...init, signal: AbortSignal.timeout(this.endpoints.timeoutMs ?? 10_000) });
    } catch (e) {
      throw new TokenError(`token request to ${label} failed: ${(e as Error).message}`, undefined);
    }
    const text = await res.text().catch(() => '');
    let json: Record<string, unknown> = {};
    try {
      json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      // not JSON: reported below
    }
    const value = json.access_token;
    if (!res.ok || typeof value !== 'string' || !value) {
      const reason = typeof json.error === 'string' ? `${json.error}${typeof json.error_description === 'string' ? `: ${json.error_description.split('\n')[0]}` : ''}` : text.slice(0, 200);
      throw new TokenError(`token request to ${label} answered ${res.status}: ${reason}`, res.status);
    }
    // expires_in is a number from Entra, a string from managed identity endpoints; expires_on (epoch seconds) from some of them.
    const expiresIn = Number(json.expires_in);
    const expiresOn = Number(json.expires_on);
    const expiresAt = Number.isFinite(expiresIn) && expiresIn > 0 ? this.now() + expiresIn * 1000 : Number.isFinite(expiresOn) && expiresOn > 0 ? expiresOn * 1000 : this.now() + 3600_000;
    return { value, expiresAt };
  }
}

/** The signing half of botframework-connector's credentials: sets the bearer token on a request. */
interface Signer {
  signRequest<T extends { headers: { set(name: string, value: string): void } }>(request: T): Promise<T>;
}

/**
 * botframework-connector's credentials factory over {@link BotTokenSource}: the same token
 * endpoints for every app type, so each is testable at the HTTP boundary (botbuilder's own
 * factories go through MSAL and @azure/identity, which insist on the real login hosts).
 */
export class BotCredentialsFactory extends ServiceClientCredentialsFactory {
  constructor(readonly tokens: BotTokenSource) {
    super();
  }

  override async isValidAppId(appId: string): Promise<boolean> {
    return appId === this.tokens.settings.appId;
  }

  override async isAuthenticationDisabled(): Promise<boolean> {
    return !this.tokens.settings.appId;
  }

  override async createCredentials(appId: string, audience: string | undefined): Promise<never> {
    if (appId !== this.tokens.settings.appId) throw new Error('Invalid appId.');
    const tokens = this.tokens;
    const signer: Signer = {
      async signRequest(request) {
        request.headers.set('Authorization', `Bearer ${await tokens.token(audience ?? BOT_FRAMEWORK_AUDIENCE)}`);
        return request;
      },
    };
    // botbuilder only ever calls signRequest on what this returns (ServiceClientCredentials).
    return signer as never;
  }
}
