import { type Agent, request } from 'node:https';
import { parseRetryAfter } from '../../outbox/backoff.ts';

/** A channel as Microsoft Graph returns it from `POST /teams/{id}/channels`. */
export interface GraphChannel {
  id: string;
  displayName: string;
  webUrl?: string;
}

export interface GraphClientOptions {
  /** `GRAPH_API_URL`, by default `https://graph.microsoft.com/v1.0`. */
  baseUrl?: string;
  /** Where client-credential tokens come from, by default `https://login.microsoftonline.com`. */
  loginUrl?: string;
  appId: string;
  /** The client secret; without one, `tokens` mints Graph tokens (a managed identity). */
  appPassword?: string | undefined;
  /** Another source of app-only Graph tokens (UserAssignedMSI), used when there is no password. */
  tokens?: { token(audience: string): Promise<string> } | undefined;
  /** The tenant the team lives in (`MicrosoftAppTenantId`, or the activity's tenant). */
  tenantId: string;
  /** TLS settings (a test's self-signed CA); the default agent trusts the system's CAs. */
  agent?: Agent;
}

/**
 * A Graph failure with the HTTP status and Graph's error code, so callers can tell a name clash
 * from an outage; `retryAfterMs` is Graph's `Retry-After` (429, 503), which the Teams send job
 * reads as the floor of its next try.
 */
export class GraphError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(`Microsoft Graph ${status} ${code}: ${message}`);
    this.name = 'GraphError';
  }
}

interface JsonResponse {
  status: number;
  body: Record<string, unknown>;
  retryAfter?: string | undefined;
}

/** One HTTPS request with a JSON (or form) body; only https, because a bearer token goes with it. */
function send(url: URL, method: string, headers: Record<string, string>, payload: string, agent: Agent | undefined): Promise<JsonResponse> {
  if (url.protocol !== 'https:') return Promise.reject(new Error(`refusing to send a Microsoft token over ${url.protocol} (${url.host})`));
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers: { ...headers, 'Content-Length': Buffer.byteLength(payload) }, timeout: 10_000, ...(agent ? { agent } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: Record<string, unknown> = {};
        try {
          body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
        } catch {
          body = { raw: text.slice(0, 200) };
        }
        const retryAfter = res.headers['retry-after'];
        resolve({ status: res.statusCode ?? 0, body, retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${url.host} did not answer within 10 s`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/** Graph's error code and message from an error response body. */
function graphError(res: JsonResponse): GraphError {
  const error = (res.body.error ?? {}) as { code?: string; message?: string; error_description?: string };
  const code = typeof res.body.error === 'string' ? res.body.error : (error.code ?? 'unknown');
  const message = error.message ?? (res.body.error_description as string | undefined) ?? 'request failed';
  return new GraphError(res.status, code, message, parseRetryAfter(res.retryAfter, new Date()));
}

/**
 * The little of Microsoft Graph tsuiki needs: an app-only token (client credentials) and
 * channel creation in the configured team.
 */
export class GraphClient {
  private readonly baseUrl: string;
  private readonly loginUrl: string;
  private token: { value: string; expiresAt: number } | undefined;

  constructor(private readonly options: GraphClientOptions) {
    this.baseUrl = (options.baseUrl ?? 'https://graph.microsoft.com/v1.0').replace(/\/+$/, '');
    this.loginUrl = (options.loginUrl ?? 'https://login.microsoftonline.com').replace(/\/+$/, '');
  }

  /** An app-only Graph token, cached until a minute before it expires. */
  async accessToken(now = Date.now()): Promise<string> {
    if (this.token && this.token.expiresAt > now + 60_000) return this.token.value;
    if (!this.options.appPassword) {
      if (!this.options.tokens) throw new GraphError(401, 'no_credentials', 'neither MicrosoftAppPassword nor a managed identity to get a Graph token with');
      return this.options.tokens.token('https://graph.microsoft.com');
    }
    const url = new URL(`${this.loginUrl}/${encodeURIComponent(this.options.tenantId)}/oauth2/v2.0/token`);
    const form = new URLSearchParams({
      client_id: this.options.appId,
      client_secret: this.options.appPassword,
      scope: 'https://graph.microsoft.com/.default',
      grant_type: 'client_credentials',
    }).toString();
    const res = await send(url, 'POST', { 'Content-Type': 'application/x-www-form-urlencoded' }, form, this.options.agent);
    const value = res.body.access_token;
    if (res.status !== 200 || typeof value !== 'string') throw graphError(res);
    const expiresIn = Number(res.body.expires_in ?? 3600);
    this.token = { value, expiresAt: now + expiresIn * 1000 };
    return value;
  }

  /**
   * Creates a standard channel; a name already taken gets `-2`, `-3`… (Graph answers 400
   * NameAlreadyExists, or 409 on some tenants).
   */
  async createChannel(teamId: string, input: { displayName: string; description: string }): Promise<GraphChannel> {
    const url = new URL(`${this.baseUrl}/teams/${encodeURIComponent(teamId)}/channels`);
    for (let attempt = 1; ; attempt++) {
      const displayName = channelDisplayName(input.displayName, attempt);
      const token = await this.accessToken();
      const payload = JSON.stringify({ displayName, description: input.description.slice(0, 1024), membershipType: 'standard' });
      const res = await send(url, 'POST', { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` }, payload, this.options.agent);
      if (res.status === 201 || res.status === 200) {
        const id = res.body.id;
        if (typeof id !== 'string') throw new GraphError(res.status, 'no_id', 'the created channel has no id');
        return { id, displayName: String(res.body.displayName ?? displayName), ...(typeof res.body.webUrl === 'string' ? { webUrl: res.body.webUrl } : {}) };
      }
      const error = graphError(res);
      const nameTaken = res.status === 409 || /NameAlreadyExists|already exist/i.test(`${error.code} ${error.message}`);
      if (!nameTaken || attempt >= 5) throw error;
    }
  }
}

/** Graph rejects some characters in channel names and more than 50 characters. */
export function channelDisplayName(name: string, attempt = 1): string {
  const suffix = attempt > 1 ? `-${attempt}` : '';
  const clean = name.replace(/[~#%&*{}+/\\:<>?|'"]/g, '').replace(/^[_.]+/, '').trim() || 'incident';
  return clean.slice(0, 50 - suffix.length) + suffix;
}
