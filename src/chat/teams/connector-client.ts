import { type BotFrameworkAuthentication, ClaimsIdentity, AuthenticationConstants } from 'botframework-connector';
import { parseRetryAfter } from '../../outbox/backoff.ts';

/** An activity as the Connector API takes it (`type`, `text`, `attachments`, …). */
export type ConnectorActivity = Record<string, unknown>;

/** What `POST /v3/conversations` answers. */
export interface ConversationResourceResponse {
  id: string;
  activityId?: string;
  serviceUrl?: string;
}

/**
 * A connector failure. `retryable` for what may pass (429, 408, 425, 5xx, no answer), with the
 * connector's `Retry-After` as `retryAfterMs` — the job queue reads it as a floor for the
 * next try. Any other 4xx is terminal: Teams will refuse the same request again.
 */
export class ConnectorError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly retryable: boolean,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'ConnectorError';
  }
}

/** The signing half of botframework-connector's credentials (AppCredentials, or a test's). */
interface SigningCredentials {
  signRequest(resource: { headers: { set(name: string, value: string): void } }): Promise<unknown>;
}

export interface TeamsConnectorOptions {
  /** The same Bot Framework authentication the adapter checks inbound tokens with: it mints the outbound ones. */
  auth: BotFrameworkAuthentication;
  /** `MicrosoftAppId`; empty when authentication is off (local tests). */
  appId: string;
  /** Per request; a connector that hangs must not hold a worker's lease. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/**
 * The three Bot Framework Connector operations the Teams worker needs, one HTTP request each:
 * create a conversation (a new thread), send to a conversation, update an activity. The SDK's
 * ConnectorClient retries 429 and 5xx inside the call (waiting out `Retry-After` in process);
 * here every failure comes back at once, classified, and the durable job queue retries it.
 * Tokens come from the Bot Framework authentication's credentials factory: per `MicrosoftAppType`
 * from `bot-credentials.ts` (client secret or managed identity), or a test's.
 */
export class TeamsConnector {
  private credentials: Promise<SigningCredentials> | undefined;
  private readonly timeoutMs: number;
  private readonly fetch: typeof fetch;

  constructor(private readonly options: TeamsConnectorOptions) {
    this.timeoutMs = options.timeoutMs ?? 15_000;
    this.fetch = options.fetch ?? globalThis.fetch;
  }

  /** `POST /v3/conversations`: in Teams, a new thread in a channel, its first post included. */
  createConversation(serviceUrl: string, parameters: Record<string, unknown>): Promise<ConversationResourceResponse> {
    return this.call(serviceUrl, 'POST', '/v3/conversations', parameters) as Promise<ConversationResourceResponse>;
  }

  /** `POST /v3/conversations/{id}/activities`: a new post (in a thread when the id names one); returns its activity id. */
  async sendToConversation(serviceUrl: string, conversationId: string, activity: ConnectorActivity): Promise<string> {
    const body = await this.call(serviceUrl, 'POST', `/v3/conversations/${encodeURIComponent(conversationId)}/activities`, activity);
    const id = (body as { id?: unknown }).id;
    if (typeof id !== 'string' || !id) throw new ConnectorError('the connector returned no activity id', undefined, true);
    return id;
  }

  /** `PUT /v3/conversations/{id}/activities/{activityId}`: edits a post in place. */
  async updateActivity(serviceUrl: string, conversationId: string, activityId: string, activity: ConnectorActivity): Promise<void> {
    const path = `/v3/conversations/${encodeURIComponent(conversationId)}/activities/${encodeURIComponent(activityId)}`;
    await this.call(serviceUrl, 'PUT', path, { ...activity, id: activityId });
  }

  private signer(): Promise<SigningCredentials> {
    // The connector factory picks the login endpoint and scope for this cloud and app type;
    // one credentials object is kept, so its token cache is too.
    this.credentials ??= (async () => {
      const { appId } = this.options;
      const identity = new ClaimsIdentity([
        { type: AuthenticationConstants.AudienceClaim, value: appId },
        { type: AuthenticationConstants.AppIdClaim, value: appId },
      ]);
      // Only the client's credentials are used; its base URL (required) never is.
      const client = await this.options.auth.createConnectorFactory(identity).create('https://localhost/');
      return client.credentials as unknown as SigningCredentials;
    })();
    this.credentials.catch(() => (this.credentials = undefined));
    return this.credentials;
  }

  private async call(serviceUrl: string, method: string, path: string, body: unknown): Promise<unknown> {
    const headers = new Headers({ 'Content-Type': 'application/json; charset=utf-8', Accept: 'application/json' });
    await (await this.signer()).signRequest({ headers: { set: (name, value) => headers.set(name, value) } });
    const url = `${serviceUrl.replace(/\/+$/, '')}${path}`;
    let res: Response;
    try {
      res = await this.fetch(url, { method, headers, body: JSON.stringify(body), signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (e) {
      throw new ConnectorError(`${method} ${path}: ${(e as Error).message}`, undefined, true);
    }
    const text = await res.text().catch(() => '');
    if (res.ok) {
      try {
        return text ? (JSON.parse(text) as unknown) : {};
      } catch {
        return {};
      }
    }
    const status = res.status;
    const retryable = status === 408 || status === 425 || status === 429 || status >= 500;
    const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'), new Date());
    throw new ConnectorError(`${method} ${path}: ${status} ${text.slice(0, 200)}`, status, retryable, retryAfterMs);
  }
}
