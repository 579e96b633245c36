import { describe, expect, it } from 'vitest';
import { ConfigError, describeSettings, loadConfig, maskConfig } from '../src/config.ts';

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
    return [];
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
}

describe('loadConfig', () => {
  it('has working defaults with nothing set', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      databaseUrl: undefined,
      dataDir: './data',
      port: 3000,
      locales: ['en', 'ja'],
      timeZones: { en: 'UTC', ja: 'Asia/Tokyo' },
      teamTimeZone: 'UTC',
      publishApproval: 'preview',
      updateReminderMinutes: 30,
      upstreamPollSeconds: 60,
      publicUrl: 'http://localhost:3000',
      shutdownGraceSeconds: 10,
      translationWaitSeconds: 30,
    });
  });

  it('reads TRANSLATION_WAIT_SECONDS, 0 sending at once', () => {
    expect(loadConfig({ TRANSLATION_WAIT_SECONDS: '0' }).translationWaitSeconds).toBe(0);
    expect(loadConfig({ TRANSLATION_WAIT_SECONDS: '120' }).translationWaitSeconds).toBe(120);
  });

  it.each([
    ['0', 0],
    ['45', 45],
  ])('reads SHUTDOWN_GRACE_SECONDS=%s as %d seconds', (value, seconds) => {
    expect(loadConfig({ SHUTDOWN_GRACE_SECONDS: value }).shutdownGraceSeconds).toBe(seconds);
  });

  it('reads TIME_ZONES and TEAM_TIME_ZONE', () => {
    const config = loadConfig({ LOCALES: 'ja,en', TIME_ZONES: 'en=America/New_York', TEAM_TIME_ZONE: 'Asia/Tokyo' });
    expect(config.timeZones).toEqual({ ja: 'Asia/Tokyo', en: 'America/New_York' });
    expect(config.teamTimeZone).toBe('Asia/Tokyo');
  });

  it('takes the team zone from the first language when unset', () => {
    expect(loadConfig({ LOCALES: 'ja,en' }).teamTimeZone).toBe('Asia/Tokyo');
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT: must be a port number (0-65535), got "abc"'],
    [{ PORT: '70000' }, 'PORT: must be a port number (0-65535), got "70000"'],
    [{ PORT: '80.5' }, 'PORT: must be a port number (0-65535), got "80.5"'],
    [{ DATABASE_URL: 'mysql://x' }, /^DATABASE_URL: must be a URL/],
    [{ TRANSLATOR: 'google' }, 'TRANSLATOR: must be one of none, deepl, openai, got "google"'],
    [{ TRANSLATOR: 'deepl' }, 'DEEPL_AUTH_KEY: required when TRANSLATOR=deepl'],
    [{ TRANSLATOR: 'openai', OPENAI_MODEL: 'm' }, 'OPENAI_BASE_URL: required when TRANSLATOR=openai'],
    [{ PUBLISH_APPROVAL: 'maybe' }, 'PUBLISH_APPROVAL: must be one of preview, required, off, got "maybe"'],
    [{ LOG_LEVEL: 'loud' }, /^LOG_LEVEL: must be one of fatal, error, .*, got "loud"$/],
    [{ MicrosoftAppType: 'Other' }, /^MicrosoftAppType: must be one of (MultiTenant|SingleTenant|UserAssignedMSI)(, (MultiTenant|SingleTenant|UserAssignedMSI)){2}, got "Other"$/],
    [{ TIME_ZONES: 'ja=Mars/Olympus' }, 'TIME_ZONES: "Mars/Olympus" is not an IANA time zone'],
    [{ TIME_ZONES: 'ja' }, /^TIME_ZONES: "ja" is not lang=Zone/],
    [{ TEAM_TIME_ZONE: 'Mars' }, 'TEAM_TIME_ZONE: must be an IANA time zone such as Asia/Tokyo, got "Mars"'],
    [{ LOCALES: 'en,Japanese!' }, /^LOCALES: "Japanese!" is not a language tag/],
    [{ SMTP_URL: 'smtp://localhost:25' }, 'MAIL_FROM: required when SMTP_URL is set'],
    [{ SLACK_BOT_TOKEN: 'xoxb-1' }, 'SLACK_SIGNING_SECRET: required when SLACK_BOT_TOKEN is set'],
    [{ MicrosoftAppType: 'SingleTenant', MicrosoftAppId: 'app', MicrosoftAppPassword: 'pw' }, 'MicrosoftAppTenantId: required when MicrosoftAppType=SingleTenant'],
    [{ MicrosoftAppId: 'app', MicrosoftAppPassword: 'p' }, 'MicrosoftAppTenantId: required when MicrosoftAppType=SingleTenant (the default; set MicrosoftAppType=MultiTenant for an existing multi-tenant bot)'],
    [{ MicrosoftAppId: 'app', MicrosoftAppTenantId: 't' }, 'MicrosoftAppPassword: required when MicrosoftAppId is set and MicrosoftAppType=SingleTenant'],
    [{ MicrosoftAppId: 'app', MicrosoftAppType: 'MultiTenant' }, 'MicrosoftAppPassword: required when MicrosoftAppId is set and MicrosoftAppType=MultiTenant'],
    [{ MicrosoftAppId: 'app', MicrosoftAppType: 'UserAssignedMSI' }, /^MicrosoftAppTenantId: required when MicrosoftAppType=UserAssignedMSI/],
    [
      { MicrosoftAppId: 'app', MicrosoftAppType: 'UserAssignedMSI', MicrosoftAppTenantId: 't', MicrosoftAppPassword: 'p' },
      'MicrosoftAppPassword: must not be set when MicrosoftAppType=UserAssignedMSI (a managed identity has no password)',
    ],
    [{ TEAMS_PLAYGROUND: 'true', HOST: '10.0.0.5' }, 'TEAMS_PLAYGROUND: serves Teams without authentication, only on a loopback HOST (127.0.0.1, ::1 or localhost); HOST is 10.0.0.5'],
    [{ UPDATE_REMINDER_MINUTES: '0' }, 'UPDATE_REMINDER_MINUTES: must be a whole number (1-1440), got "0"'],
    [{ UPSTREAM_POLL_SECONDS: 'often' }, 'UPSTREAM_POLL_SECONDS: must be a whole number (5-86400), got "often"'],
    [{ TRANSLATION_WAIT_SECONDS: 'soon' }, 'TRANSLATION_WAIT_SECONDS: must be a whole number (0-86400), got "soon"'],
    [{ TRUST_PROXY_HOPS: '11' }, 'TRUST_PROXY_HOPS: must be a whole number (0-10), got "11"'],
    [{ SHUTDOWN_GRACE_SECONDS: '-1' }, 'SHUTDOWN_GRACE_SECONDS: must be at least 0, got "-1"'],
  ])('rejects %o naming the setting and what it expects', (env, expected) => {
    const found = problems(env as Record<string, string>);
    expect(found).toHaveLength(1);
    if (typeof expected === 'string') expect(found[0]).toBe(expected);
    else expect(found[0]).toMatch(expected);
    expect(found[0]).not.toContain('\n');
  });

  it.each(['', '  '])('takes the default for an empty setting (PORT=%j)', (value) => {
    expect(loadConfig({ PORT: value, TRANSLATOR: value }).port).toBe(3000);
  });

  it('lists every setting with its default and allowed values from the schema', () => {
    const settings = describeSettings();
    expect(settings).toContainEqual({ name: 'PORT', default: '3000', values: undefined });
    expect(settings).toContainEqual({ name: 'TRANSLATOR', default: 'none', values: ['none', 'deepl', 'openai'] });
    expect(settings).toContainEqual({ name: 'SLACK_BOT_TOKEN', default: undefined, values: undefined });
  });

  it('reports every bad setting at once', () => {
    expect(problems({ PORT: 'x', TRANSLATOR: 'x', LOCALES: '!', SMTP_URL: 'smtp://localhost' })).toHaveLength(4);
  });

  it('never echoes a secret value in a problem', () => {
    const found = problems({ DATABASE_URL: 'mysql://user:hunter2@db/x', SLACK_BOT_TOKEN: 'xoxb-secret-token' });
    expect(found.join('\n')).not.toMatch(/hunter2|xoxb-secret-token/);
  });

  it('masks secrets for logging', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://tsuiki:hunter2@db:5432/tsuiki',
      SLACK_BOT_TOKEN: 'xoxb-secret',
      SLACK_SIGNING_SECRET: 'signing-secret',
      DEEPL_AUTH_KEY: 'deepl-key',
      TRANSLATOR: 'deepl',
    });
    const masked = JSON.stringify(maskConfig(config));
    expect(masked).not.toMatch(/hunter2|xoxb-secret|signing-secret|deepl-key/);
    expect(masked).toContain('postgres://***@db:5432/tsuiki');
  });
});
