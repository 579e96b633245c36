import { existsSync, readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { z } from 'zod';

/** Default time zone per language when TIME_ZONES does not name one. */
const DEFAULT_ZONES: Record<string, string> = { ja: 'Asia/Tokyo', en: 'UTC' };

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const optionalString = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();
const optionalUrl = (protocols: RegExp) =>
  optionalString.refine((v) => v === undefined || (URL.canParse(v) && protocols.test(new URL(v).protocol)), {
    message: `must be a URL (${protocols.source.replace(/[\^$()]/g, '').replace(/\|/g, ', ')})`,
  });
const list = (value: string) =>
  value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/** A whole-number setting whose every problem reads "must be <what> (<min>-<max>)". */
const wholeNumber = (min: number, max: number, what = 'a whole number') => {
  const error = `must be ${what} (${min}-${max})`;
  return z.coerce.number({ error }).int({ error }).min(min, { error }).max(max, { error });
};

const Locale = z.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'must be a language tag such as en or ja');

/** The raw environment, validated; names are the settings of PRODUCT.md. */
const Env = z
  .object({
    DATABASE_URL: optionalUrl(/^(postgres|postgresql):$/),
    DATA_DIR: optionalString.default('./data'),
    // 0 listens on any free port (tests, benchmarks).
    PORT: wholeNumber(0, 65535, 'a port number').default(3000),
    HOST: optionalString.default('0.0.0.0'),
    PUBLIC_URL: optionalUrl(/^https?:$/),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    SLACK_BOT_TOKEN: optionalString,
    SLACK_SIGNING_SECRET: optionalString,
    SLACK_APP_TOKEN: optionalString,
    SLACK_API_URL: optionalUrl(/^https?:$/),
    MicrosoftAppId: optionalString,
    MicrosoftAppPassword: optionalString,
    MicrosoftAppTenantId: optionalString,
    // SingleTenant unless said otherwise: Azure no longer creates multi-tenant bots.
    MicrosoftAppType: z.enum(['SingleTenant', 'UserAssignedMSI', 'MultiTenant']).default('SingleTenant'),
    // Published by Azure App Service / Functions for its managed identity; IMDS answers elsewhere.
    IDENTITY_ENDPOINT: optionalUrl(/^https?:$/),
    IDENTITY_HEADER: optionalString,
    // Microsoft 365 Agents Playground: Teams without authentication, on a loopback HOST only.
    TEAMS_PLAYGROUND: z.enum(['true', 'false']).default('false'),
    TEAMS_TEAM_ID: optionalString,
    GRAPH_API_URL: optionalUrl(/^https?:$/),
    INCIDENTS_CHANNEL: optionalString,
    LOCALES: optionalString.default('en,ja').superRefine((value, ctx) => {
      if (list(value).length === 0) ctx.addIssue({ code: 'custom', message: 'names no language' });
      for (const lang of list(value)) {
        if (!Locale.safeParse(lang).success) ctx.addIssue({ code: 'custom', message: `"${lang}" is not a language tag such as en or ja` });
      }
    }),
    TIME_ZONES: optionalString.superRefine((value, ctx) => {
      for (const pair of list(value ?? '')) {
        const [lang, zone] = pair.split('=').map((s) => s.trim());
        if (!lang || !zone) ctx.addIssue({ code: 'custom', message: `"${pair}" is not lang=Zone (e.g. ja=Asia/Tokyo)` });
        else if (!isTimeZone(zone)) ctx.addIssue({ code: 'custom', message: `"${zone}" is not an IANA time zone` });
      }
    }),
    TEAM_TIME_ZONE: optionalString.refine((value) => value === undefined || isTimeZone(value), {
      message: 'must be an IANA time zone such as Asia/Tokyo',
    }),
    TRANSLATOR: z.enum(['none', 'deepl', 'openai']).default('none'),
    DEEPL_AUTH_KEY: optionalString,
    DEEPL_SERVER_URL: optionalUrl(/^https?:$/),
    OPENAI_BASE_URL: optionalUrl(/^https?:$/),
    OPENAI_API_KEY: optionalString,
    OPENAI_MODEL: optionalString,
    PUBLISH_APPROVAL: z.enum(['preview', 'required', 'off']).default('preview'),
    UPDATE_REMINDER_MINUTES: wholeNumber(1, 1440).default(30),
    SMTP_URL: optionalUrl(/^smtps?:$/),
    MAIL_FROM: optionalString,
    STATUSPAGE_API_KEY: optionalString,
    STATUSPAGE_PAGE_ID: optionalString,
    STATUSPAGE_API_URL: optionalUrl(/^https?:$/),
    DIGEST_CRON: optionalString,
    UPSTREAM_POLL_SECONDS: wholeNumber(5, 86_400).default(60),
    TRANSLATION_WAIT_SECONDS: wholeNumber(0, 86_400).default(30),
    MAINTENANCE_REMINDER_MINUTES: wholeNumber(1, 10_080).default(60),
    COMPONENTS_FILE: optionalString,
    ADMIN_TOKEN: optionalString,
    ALERTS_TOKEN: optionalString,
    PAGERDUTY_WEBHOOK_SECRET: optionalString,
    WEB_SESSION_SECRET: optionalString,
    TRUST_PROXY_HOPS: wholeNumber(0, 10).default(0),
    SHUTDOWN_GRACE_SECONDS: z.coerce.number().int().min(0).default(10),
  });

type Env = z.infer<typeof Env>;

/** One setting as `tsuiki --help` lists it, read from the schema above. */
export interface SettingInfo {
  name: string;
  /** What an unset (or empty) setting means, if it has a default. */
  default: string | undefined;
  /** The values allowed, for a setting that is one of a list. */
  values: string[] | undefined;
}

/** Every setting with its default and allowed values, straight from the schema that validates them. */
export function describeSettings(): SettingInfo[] {
  return Object.entries(Env.shape).map(([name, schema]) => {
    let node: z.ZodType = schema;
    let fallback: unknown;
    let values: string[] | undefined;
    for (let depth = 0; depth < 8; depth++) {
      if (node instanceof z.ZodDefault) {
        fallback = node.def.defaultValue;
        node = node.def.innerType as z.ZodType;
      } else if (node instanceof z.ZodOptional) node = node.def.innerType as z.ZodType;
      else if (node instanceof z.ZodPipe) node = node.def.in as z.ZodType;
      else {
        if (node instanceof z.ZodEnum) values = node.options.map(String);
        break;
      }
    }
    return { name, default: fallback === undefined ? undefined : String(fallback), values };
  });
}

/** Settings one integration needs once it is chosen; checked on the raw values so they are reported with every other problem. */
function missingRequirements(source: Record<string, string | undefined>): string[] {
  const has = (key: string) => Boolean(source[key]?.trim());
  const appType = source.MicrosoftAppType?.trim() || 'SingleTenant';
  const rules: [boolean, string[], string][] = [
    [source.TRANSLATOR?.trim() === 'deepl', ['DEEPL_AUTH_KEY'], 'when TRANSLATOR=deepl'],
    [source.TRANSLATOR?.trim() === 'openai', ['OPENAI_BASE_URL', 'OPENAI_MODEL'], 'when TRANSLATOR=openai'],
    [has('SLACK_BOT_TOKEN'), ['SLACK_SIGNING_SECRET'], 'when SLACK_BOT_TOKEN is set'],
    [has('MicrosoftAppId') && appType !== 'UserAssignedMSI', ['MicrosoftAppPassword'], `when MicrosoftAppId is set and MicrosoftAppType=${appType}`],
    [(has('MicrosoftAppId') || has('MicrosoftAppType')) && appType === 'SingleTenant', ['MicrosoftAppTenantId'], `when MicrosoftAppType=SingleTenant${source.MicrosoftAppType?.trim() ? '' : ' (the default; set MicrosoftAppType=MultiTenant for an existing multi-tenant bot)'}`],
    [appType === 'UserAssignedMSI', ['MicrosoftAppId', 'MicrosoftAppTenantId'], 'when MicrosoftAppType=UserAssignedMSI (MicrosoftAppId is the managed identity\'s client id)'],
    [has('SMTP_URL'), ['MAIL_FROM'], 'when SMTP_URL is set'],
    [has('STATUSPAGE_API_KEY'), ['STATUSPAGE_PAGE_ID'], 'when STATUSPAGE_API_KEY is set'],
  ];
  const problems = rules.flatMap(([when, keys, why]) => (when ? keys.filter((k) => !has(k)).map((k) => `${k}: required ${why}`) : []));
  if (appType === 'UserAssignedMSI' && has('MicrosoftAppPassword')) {
    problems.push('MicrosoftAppPassword: must not be set when MicrosoftAppType=UserAssignedMSI (a managed identity has no password)');
  }
  if (source.TEAMS_PLAYGROUND?.trim() === 'true') {
    if (has('MicrosoftAppId')) problems.push('TEAMS_PLAYGROUND: serves Teams without authentication, so it cannot be combined with MicrosoftAppId (unset one of them)');
    const host = source.HOST?.trim() || '0.0.0.0';
    if (!isLoopbackHost(host)) problems.push(`TEAMS_PLAYGROUND: serves Teams without authentication, only on a loopback HOST (127.0.0.1, ::1 or localhost); HOST is ${host}`);
  }
  return problems;
}

/** Whether `host` only listens on this machine: 127.0.0.0/8, ::1 or localhost. */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h) || /^::ffff:127(\.\d{1,3}){3}$/.test(h);
}

/** tsuiki's settings, read once at start from the environment and `.env`. */
export interface Config {
  databaseUrl: string | undefined;
  dataDir: string;
  port: number;
  host: string;
  publicUrl: string;
  logLevel: Env['LOG_LEVEL'];
  locales: string[];
  /** The zone each language's readers see times in. */
  timeZones: Record<string, string>;
  /** Where the team works: how `at 22:25` is read and chat replies are stamped. */
  teamTimeZone: string;
  publishApproval: Env['PUBLISH_APPROVAL'];
  updateReminderMinutes: number;
  upstreamPollSeconds: number;
  /** How long a language's deliveries wait for its translation before going out in the source language (TRANSLATION_WAIT_SECONDS). */
  translationWaitSeconds: number;
  /** How long before a maintenance starts subscribers are reminded (MAINTENANCE_REMINDER_MINUTES). */
  maintenanceReminderMinutes: number;
  componentsFile: string | undefined;
  incidentsChannel: string | undefined;
  slack: { botToken?: string; signingSecret?: string; appToken?: string; apiUrl?: string };
  teams: {
    appId?: string;
    appPassword?: string;
    tenantId?: string;
    appType: Env['MicrosoftAppType'];
    teamId?: string;
    graphApiUrl?: string;
    /** A managed identity's token endpoint and its secret header (App Service's IDENTITY_ENDPOINT / IDENTITY_HEADER). */
    identityEndpoint?: string;
    identityHeaderSecret?: string;
    /** TEAMS_PLAYGROUND: Teams served without authentication (no app id, loopback HOST; checked above). */
    playground: boolean;
  };
  translator: {
    kind: Env['TRANSLATOR'];
    deeplAuthKey?: string;
    deeplServerUrl?: string;
    openaiBaseUrl?: string;
    openaiApiKey?: string;
    openaiModel?: string;
  };
  smtp: { url?: string; from?: string };
  statuspage: { apiKey?: string; pageId?: string; apiUrl?: string };
  digestCron: string | undefined;
  adminToken: string | undefined;
  /** Bearer token monitoring sends to /hooks/* (all but PagerDuty, which signs). */
  alertsToken: string | undefined;
  /** PagerDuty v3 webhook secrets, comma-separated during a rotation (X-PagerDuty-Signature). */
  pagerdutyWebhookSecrets: string[];
  /** Key that signs web app session cookies; unset: derived from the Slack signing secret or ADMIN_TOKEN. */
  webSessionSecret: string | undefined;
  /** Reverse proxies in front whose X-Forwarded-For entries are believed (TRUST_PROXY_HOPS); 0: the socket's address. */
  trustProxyHops: number;
  /** How long SIGTERM/SIGINT lets running work finish before the process exits anyway (SHUTDOWN_GRACE_SECONDS). */
  shutdownGraceSeconds: number;
}

/** Invalid settings: one line per problem, secrets never included. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
  }
}

const SECRET_KEYS = /TOKEN|SECRET|PASSWORD|KEY|_URL$/i;

/** Reads `.env` (if present) under the real environment, which wins. */
export function readEnvironment(
  env: NodeJS.ProcessEnv = process.env,
  envFile = '.env',
): Record<string, string | undefined> {
  const fromFile = existsSync(envFile) ? parseEnv(readFileSync(envFile, 'utf8')) : {};
  return { ...fromFile, ...env };
}

/** What a zod issue says in the words of a setting: zod's own messages ("Invalid input…") are rephrased. */
function describeIssue(issue: z.core.$ZodIssue): string {
  if (!/^(Invalid|Too (small|big))/.test(issue.message)) return issue.message;
  switch (issue.code) {
    case 'invalid_type':
      return issue.expected === 'number' || issue.expected === 'int' ? 'must be a whole number' : `must be a ${issue.expected}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map(String).join(', ')}`;
    case 'too_small':
      return `must be at least ${String(issue.minimum)}`;
    case 'too_big':
      return `must be at most ${String(issue.maximum)}`;
    default:
      return 'is invalid';
  }
}

/**
 * Validates settings; throws ConfigError listing every bad one as `NAME: what was expected,
 * got "value"`. An empty setting (`PORT=`) counts as unset, so it takes its default.
 */
export function loadConfig(raw: Record<string, string | undefined> = readEnvironment()): Config {
  const source = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined && v.trim() !== ''));
  const parsed = Env.safeParse(source);
  const missing = missingRequirements(source);
  if (!parsed.success || missing.length > 0) {
    const problems = (parsed.error?.issues ?? []).map((issue) => {
      const key = String(issue.path[0] ?? 'settings');
      const message = describeIssue(issue);
      // Never echo the value of a secret: tokens, keys, and URLs that may carry a password.
      const got = message.startsWith('must') && !SECRET_KEYS.test(key) && source[key] !== undefined ? `, got ${JSON.stringify(source[key])}` : '';
      return `${key}: ${message}${got}`;
    });
    throw new ConfigError([...problems, ...missing]);
  }
  const env = parsed.data;
  const locales = [...new Set(list(env.LOCALES))];
  const timeZones: Record<string, string> = {};
  for (const lang of locales) timeZones[lang] = DEFAULT_ZONES[lang.split('-')[0]!] ?? 'UTC';
  for (const pair of list(env.TIME_ZONES ?? '')) {
    const [lang, zone] = pair.split('=').map((s) => s.trim());
    if (lang && zone) timeZones[lang] = zone;
  }
  const port = env.PORT;
  return {
    databaseUrl: env.DATABASE_URL,
    dataDir: env.DATA_DIR,
    port,
    host: env.HOST,
    publicUrl: (env.PUBLIC_URL ?? `http://localhost:${port}`).replace(/\/+$/, ''),
    logLevel: env.LOG_LEVEL,
    locales,
    timeZones,
    teamTimeZone: env.TEAM_TIME_ZONE ?? timeZones[locales[0]!] ?? 'UTC',
    publishApproval: env.PUBLISH_APPROVAL,
    updateReminderMinutes: env.UPDATE_REMINDER_MINUTES,
    upstreamPollSeconds: env.UPSTREAM_POLL_SECONDS,
    translationWaitSeconds: env.TRANSLATION_WAIT_SECONDS,
    maintenanceReminderMinutes: env.MAINTENANCE_REMINDER_MINUTES,
    componentsFile: env.COMPONENTS_FILE,
    incidentsChannel: env.INCIDENTS_CHANNEL,
    slack: {
      botToken: env.SLACK_BOT_TOKEN,
      signingSecret: env.SLACK_SIGNING_SECRET,
      appToken: env.SLACK_APP_TOKEN,
      apiUrl: env.SLACK_API_URL,
    },
    teams: {
      appId: env.MicrosoftAppId,
      appPassword: env.MicrosoftAppPassword,
      tenantId: env.MicrosoftAppTenantId,
      appType: env.MicrosoftAppType,
      teamId: env.TEAMS_TEAM_ID,
      playground: env.TEAMS_PLAYGROUND === 'true',
      identityEndpoint: env.IDENTITY_ENDPOINT,
      identityHeaderSecret: env.IDENTITY_HEADER,
      graphApiUrl: env.GRAPH_API_URL,
    },
    translator: {
      kind: env.TRANSLATOR,
      deeplAuthKey: env.DEEPL_AUTH_KEY,
      deeplServerUrl: env.DEEPL_SERVER_URL,
      openaiBaseUrl: env.OPENAI_BASE_URL,
      openaiApiKey: env.OPENAI_API_KEY,
      openaiModel: env.OPENAI_MODEL,
    },
    smtp: { url: env.SMTP_URL, from: env.MAIL_FROM },
    statuspage: { apiKey: env.STATUSPAGE_API_KEY, pageId: env.STATUSPAGE_PAGE_ID, apiUrl: env.STATUSPAGE_API_URL },
    digestCron: env.DIGEST_CRON,
    adminToken: env.ADMIN_TOKEN,
    alertsToken: env.ALERTS_TOKEN,
    pagerdutyWebhookSecrets: (env.PAGERDUTY_WEBHOOK_SECRET ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    webSessionSecret: env.WEB_SESSION_SECRET,
    trustProxyHops: env.TRUST_PROXY_HOPS,
    shutdownGraceSeconds: env.SHUTDOWN_GRACE_SECONDS,
  };
}

/** The config with every secret replaced, safe to log. */
export function maskConfig(config: Config): unknown {
  return JSON.parse(
    JSON.stringify(config, (key, value) =>
      (typeof value === 'string' || Array.isArray(value)) && /token|secret|password|key|Url$/i.test(key) && !/publicUrl|apiUrl|serverUrl|baseUrl/.test(key)
        ? '***'
        : key === 'databaseUrl' && typeof value === 'string'
          ? value.replace(/\/\/[^@/]*@/, '//***@')
          : value,
    ),
  );
}
