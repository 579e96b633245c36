import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, maskConfig } from '../src/config.ts';

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
    });
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
    [{ PORT: 'abc' }, /^PORT /],
    [{ PORT: '70000' }, /^PORT /],
    [{ DATABASE_URL: 'mysql://x' }, /^DATABASE_URL must be a URL/],
    [{ TRANSLATOR: 'google' }, /^TRANSLATOR /],
    [{ TRANSLATOR: 'deepl' }, /^DEEPL_AUTH_KEY is required when TRANSLATOR=deepl/],
    [{ TRANSLATOR: 'openai' }, /^OPENAI_BASE_URL is required/],
    [{ PUBLISH_APPROVAL: 'maybe' }, /^PUBLISH_APPROVAL /],
    [{ TIME_ZONES: 'ja=Mars/Olympus' }, /^TIME_ZONES "Mars\/Olympus" is not an IANA time zone/],
    [{ TIME_ZONES: 'ja' }, /^TIME_ZONES "ja" is not lang=Zone/],
    [{ LOCALES: 'en,Japanese!' }, /^LOCALES "Japanese!" is not a language tag/],
    [{ SMTP_URL: 'smtp://localhost:25' }, /^MAIL_FROM is required when SMTP_URL is set/],
    [{ SLACK_BOT_TOKEN: 'xoxb-1' }, /^SLACK_SIGNING_SECRET is required/],
    [{ MicrosoftAppType: 'SingleTenant' }, /^MicrosoftAppTenantId is required/],
    [{ UPDATE_REMINDER_MINUTES: '0' }, /^UPDATE_REMINDER_MINUTES /],
    [{ SHUTDOWN_GRACE_SECONDS: '-1' }, /^SHUTDOWN_GRACE_SECONDS Too small: expected number to be >=0/],
    [{ SHUTDOWN_GRACE_SECONDS: '2.5' }, /^SHUTDOWN_GRACE_SECONDS .*expected int/],
    [{ SHUTDOWN_GRACE_SECONDS: 'soon' }, /^SHUTDOWN_GRACE_SECONDS /],
  ])('rejects %o with one clear line per problem', (env, pattern) => {
    const found = problems(env as Record<string, string>);
    expect(found.length).toBeGreaterThanOrEqual(1);
    expect(found[0]).toMatch(pattern);
    for (const line of found) expect(line).not.toContain('\n');
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
