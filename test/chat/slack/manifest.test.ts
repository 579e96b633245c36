import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { SPECS_DIR } from '../../helpers/slack/web-api-spec.ts';

const SCHEMAS = join(SPECS_DIR, 'slack/schemas');
const read = (file: string) => JSON.parse(readFileSync(join(SCHEMAS, file), 'utf8')) as Record<string, unknown>;

/** Slack's manifest schema (all versions), its $refs served from the local copies. */
function validator() {
  const ajv = new Ajv({ strict: false, allErrors: true });
  for (const version of ['1.0.0', '2.0.0']) {
    ajv.addSchema(read(`manifest-schema__schemas_manifest.schema.${version}.json`), `https://raw.githubusercontent.com/slackapi/manifest-schema/v0.5.0/schemas/manifest.schema.${version}.json`);
  }
  return ajv.compile(read('manifest-schema__manifest.schema.json'));
}

const manifest = parse(readFileSync('manifest.yml', 'utf8')) as Record<string, any>;

describe('manifest.yml', () => {
  it('is valid against Slack’s manifest schema', () => {
    const validate = validator();
    const ok = validate(manifest);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it('the schema rejects Slack’s own invalid example (the validator is not a no-op)', () => {
    expect(validator()(read('manifest-schema__tests_manifests_v1_manifest.invalid.json'))).toBe(false);
  });

  it('sends the command, interactivity and events to /slack/events, with Socket Mode off', () => {
    const endpoints = [manifest.features.slash_commands[0].url, manifest.settings.interactivity.request_url, manifest.settings.event_subscriptions.request_url];
    expect(new Set(endpoints.map((u: string) => new URL(u).pathname))).toEqual(new Set(['/slack/events']));
    expect(manifest.features.slash_commands.map((c: { command: string }) => c.command)).toEqual(['/incident']);
    expect(manifest.settings.socket_mode_enabled).toBe(false);
  });

  it('asks for exactly the bot scopes tsuiki uses', () => {
    expect([...manifest.oauth_config.scopes.bot].sort()).toEqual(
      ['app_mentions:read', 'bookmarks:write', 'channels:manage', 'chat:write', 'commands', 'files:write', 'pins:write', 'users:read'].sort(),
    );
  });
});
