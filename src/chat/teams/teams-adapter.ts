import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Activity } from 'botbuilder';
// A dependency of botbuilder (same pinned version); botbuilder does not re-export the error class CloudAdapter answers 401 for.
import { AuthenticationError } from 'botframework-connector';
import {
  CloudAdapter,
  ConfigurationBotFrameworkAuthentication,
  type ConfigurationBotFrameworkAuthenticationOptions,
  ConfigurationServiceClientCredentialFactory,
  type TurnContext,
} from 'botbuilder';
import { z } from 'zod';
import type { Logger } from '../../logger.ts';
import { type BotAppType, BotCredentialsFactory, BotTokenSource, type TokenEndpoints } from './bot-credentials.ts';

/** botframework-connector's credentials factory, named through botbuilder (which does not re-export it). */
export type CredentialsFactory = NonNullable<ConstructorParameters<typeof ConfigurationBotFrameworkAuthentication>[1]>;

/** The Microsoft app settings of PRODUCT.md (`MicrosoftAppId`, …); no app id means authentication off. */
export interface TeamsAppSettings {
  appId?: string | undefined;
  appPassword?: string | undefined;
  tenantId?: string | undefined;
  appType?: string | undefined;
}

/** What tests (and other clouds) may replace: the outbound credentials and the inbound token checks. */
export interface TeamsAuthOverrides {
  /** Outbound tokens; by default from the app id and password (or managed identity) per `MicrosoftAppType`. */
  credentialsFactory?: CredentialsFactory;
  /** Where the default outbound credentials mint tokens (a test's local Entra login or managed identity endpoint). */
  tokenEndpoints?: TokenEndpoints;
  /** Extra Bot Framework settings such as `ToBotFromChannelOpenIdMetadataUrl` (where channel tokens' keys are published). */
  authOptions?: ConfigurationBotFrameworkAuthenticationOptions;
}

/**
 * Bot Framework authentication per the Microsoft app settings: it checks the channel token of
 * every incoming activity and mints the tokens of outgoing connector calls.
 */
export function createBotAuthentication(settings: TeamsAppSettings, overrides: TeamsAuthOverrides = {}): ConfigurationBotFrameworkAuthentication {
  const options: ConfigurationBotFrameworkAuthenticationOptions = {
    ...(settings.appId ? { MicrosoftAppId: settings.appId } : {}),
    ...(settings.appPassword ? { MicrosoftAppPassword: settings.appPassword } : {}),
    ...(settings.tenantId ? { MicrosoftAppTenantId: settings.tenantId } : {}),
    ...(settings.appType ? { MicrosoftAppType: settings.appType } : {}),
    ...overrides.authOptions,
  };
  const credentials = overrides.credentialsFactory ?? defaultCredentials(settings, overrides.tokenEndpoints);
  return new TokenCheckingAuthentication(options, credentials);
}

/**
 * Outbound credentials per `MicrosoftAppType` (SingleTenant unless set): the app's secret in its
 * tenant, in `botframework.com` for MultiTenant, or the user-assigned managed identity's
 * endpoint. Without an app id authentication is off (the playground, local tests).
 */
function defaultCredentials(settings: TeamsAppSettings, endpoints: TokenEndpoints = {}): CredentialsFactory {
  if (!settings.appId) return new ConfigurationServiceClientCredentialFactory({ MicrosoftAppId: '', MicrosoftAppPassword: '', MicrosoftAppType: 'MultiTenant', MicrosoftAppTenantId: '' });
  return new BotCredentialsFactory(botTokenSource({ ...settings, appId: settings.appId }, endpoints));
}

/** The token source of an app with an id: its Bot Framework tokens, and its Graph tokens with the same identity. */
export function botTokenSource(settings: TeamsAppSettings & { appId: string }, endpoints: TokenEndpoints = {}): BotTokenSource {
  const appType = (settings.appType ?? 'SingleTenant') as BotAppType;
  return new BotTokenSource({ appType, appId: settings.appId, appPassword: settings.appPassword, tenantId: settings.tenantId }, endpoints);
}

/**
 * botbuilder's CloudAdapter with Bot Framework authentication: every incoming activity must
 * carry a channel token once an app id is set (single- or multi-tenant per `MicrosoftAppType`).
 */
export function createCloudAdapter(
  settings: TeamsAppSettings,
  logger: Logger,
  overrides: TeamsAuthOverrides = {},
  auth: ConfigurationBotFrameworkAuthentication = createBotAuthentication(settings, overrides),
): CloudAdapter {
  const adapter = new CloudAdapter(auth);
  adapter.onTurnError = async (context: TurnContext, error: Error) => {
    // The dispatcher answers every domain failure itself; reaching here is a bug or a connector outage.
    logger.error({ err: error, activityType: context.activity.type }, 'teams turn failed');
  };
  return adapter;
}

const JWT_ERRORS = new Set(['JsonWebTokenError', 'TokenExpiredError', 'NotBeforeError']);

/**
 * botbuilder lets jsonwebtoken's errors (bad signature, expired) escape as plain errors, which
 * CloudAdapter answers with 500; a token that fails verification is a 401 like any other.
 */
class TokenCheckingAuthentication extends ConfigurationBotFrameworkAuthentication {
  override async authenticateRequest(activity: Activity, authHeader: string) {
    try {
      return await super.authenticateRequest(activity, authHeader);
    } catch (e) {
      if (e instanceof Error && JWT_ERRORS.has(e.name)) throw new AuthenticationError(`Unauthorized: ${e.message}`, 401);
      throw e;
    }
  }
}

const MAX_BODY_BYTES = 1024 * 1024;

/** Reads a JSON request body (Bot Framework activities are small); undefined when it is not JSON. */
async function readJson(req: IncomingMessage): Promise<Record<string, unknown> | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  try {
    const value: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const Party = z.looseObject({ id: z.string() });

/**
 * The envelope of a Bot Framework activity, as far as botbuilder and the bot read it before
 * checking anything themselves. botbuilder throws outside its own error handling on a
 * non-string `type` (a 500), and with authentication off it sends an activity without
 * `serviceUrl` to the public Bot Framework (seconds of waiting for nothing): such a body is
 * refused before the adapter runs. Every recorded Teams activity carries all of these.
 */
const ActivityEnvelope = z.looseObject({
  type: z.string().min(1),
  serviceUrl: z.url({ protocol: /^https?$/ }),
  conversation: Party,
  from: Party,
  recipient: Party,
  id: z.string().nullish(),
  channelId: z.string().nullish(),
  name: z.string().nullish(),
  text: z.string().nullish(),
  locale: z.string().nullish(),
  entities: z.array(z.looseObject({})).nullish(),
  attachments: z.array(z.looseObject({})).nullish(),
  channelData: z.looseObject({}).nullish(),
});

function badRequest(res: ServerResponse, message: string): void {
  res.statusCode = 400;
  res.setHeader('Content-Type', 'application/json');
  res.end(JSON.stringify({ error: 'bad_request', message }));
}

/**
 * CloudAdapter.process expects express/restify's parsed body and `res.status/header/send/end`:
 * this shim gives it those over raw Node objects, so no web framework is needed for one route.
 * A body that is not a Bot Framework activity is answered 400 here, before the adapter (and
 * its authentication) runs, so it reaches neither the bot nor the database.
 */
export function processNodeRequest(
  adapter: CloudAdapter,
  logic: (context: TurnContext) => Promise<void>,
  logger?: Logger,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    const body = await readJson(req);
    if (!body) {
      badRequest(res, 'the body must be a JSON Bot Framework activity');
      return;
    }
    const envelope = ActivityEnvelope.safeParse(body);
    if (!envelope.success) {
      // Field names only: the values are whatever the sender put there.
      const fields = [...new Set(envelope.error.issues.map((issue) => issue.path.join('.') || '(body)'))];
      logger?.info({ fields }, 'teams activity refused: not a Bot Framework activity');
      badRequest(res, `not a Bot Framework activity: bad or missing ${fields.join(', ')}`);
      return;
    }
    const shimReq = { body, headers: req.headers as Record<string, string | string[] | undefined>, method: req.method ?? 'POST' };
    const shimRes = {
      socket: res.socket,
      status(code: number) {
        res.statusCode = code;
      },
      header(name: string, value: unknown) {
        res.setHeader(name, String(value));
      },
      send(payload: unknown) {
        if (payload === undefined || res.writableEnded) return;
        if (typeof payload === 'string' || Buffer.isBuffer(payload)) {
          if (!res.headersSent && !res.hasHeader('Content-Type')) res.setHeader('Content-Type', 'text/plain; charset=utf-8');
          res.write(payload);
        } else {
          if (!res.headersSent) res.setHeader('Content-Type', 'application/json; charset=utf-8');
          res.write(JSON.stringify(payload));
        }
      },
      end() {
        if (!res.writableEnded) res.end();
      },
    };
    await adapter.process(shimReq, shimRes, logic);
  };
}
