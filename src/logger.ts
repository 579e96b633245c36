import { createRequire } from 'node:module';
import { pino } from 'pino';

/** tsuiki's logger: pino's, so callers get child loggers and levels unchanged. */
export type Logger = pino.Logger;

/** Options for {@link createLogger}. */
export interface LoggerOptions {
  level: string;
  /** Human-readable lines for the local console; falls back to JSON when pino-pretty is not installed. */
  pretty?: boolean;
  /** Where lines go; stdout unless given (tests pass a stream they read). */
  destination?: pino.DestinationStream;
}

const SECRET_KEYS = [
  'authorization',
  'cookie',
  'password',
  'secret',
  'token',
  'accessToken',
  'refreshToken',
  'botToken',
  'appToken',
  'adminToken',
  'alertsToken',
  'pagerdutyWebhookSecrets',
  'webSessionSecret',
  'signingSecret',
  'clientSecret',
  'appPassword',
  'apiKey',
  'authKey',
  'deeplAuthKey',
  'openaiApiKey',
];

const SECRET_HEADERS = ['authorization', 'cookie', '"set-cookie"', '"proxy-authorization"', '"x-api-key"'];

// pino's redaction matches exact paths and each `*` stands for one level, so secrets are caught up to
// two objects down (`{ config: { slack: { botToken } } }`); anything deeper is logged as is, so log
// configs through maskConfig and never whole SDK objects.
const REDACT_PATHS = [
  ...SECRET_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`]),
  ...SECRET_HEADERS.flatMap((header) => [`headers[${header}]`, `*.headers[${header}]`]),
];

/** Creates the process logger: JSON lines on stdout with secrets redacted. */
export function createLogger(options: LoggerOptions): Logger {
  const settings: pino.LoggerOptions = {
    level: options.level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  const destination = options.destination ?? (options.pretty ? prettyStream() : undefined);
  return destination ? pino(settings, destination) : pino(settings);
}

// pino-pretty is a dev dependency: a production install lacks it and must still start, with JSON.
function prettyStream(): pino.DestinationStream | undefined {
  try {
    const require = createRequire(import.meta.url);
    const pretty = require('pino-pretty') as (options: Record<string, unknown>) => pino.DestinationStream;
    // sync so the last lines before an exit are not lost; pretty output is for a person at a terminal.
    return pretty({ colorize: true, sync: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' });
  } catch {
    return undefined;
  }
}
