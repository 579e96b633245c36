import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildTeamsPackage } from '../src/chat/teams/app-package.ts';
import { ConfigError, loadConfig, readEnvironment } from '../src/config.ts';
import { createI18n } from '../src/i18n.ts';

/**
 * `npm run teams:package`: builds dist/tsuiki-teams.zip from MicrosoftAppId and PUBLIC_URL. The
 * package names the bot, nothing more: no password, tenant or app type is needed (nor read) to
 * build it, so it can be built wherever the app id is known, e.g. before a managed identity exists.
 */
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
try {
  const { MicrosoftAppId, MicrosoftAppPassword: _password, MicrosoftAppTenantId: _tenant, MicrosoftAppType: _type, TEAMS_PLAYGROUND: _playground, ...rest } = readEnvironment();
  const config = loadConfig(rest);
  const appId = MicrosoftAppId?.trim();
  if (!appId || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(appId)) {
    console.error('MicrosoftAppId must be set to the bot\'s app id (a GUID) to build the Teams package');
    process.exit(1);
  }
  if (!config.publicUrl.startsWith('https://')) {
    console.error(`PUBLIC_URL must be https for Teams (now ${config.publicUrl})`);
    process.exit(1);
  }
  const { version } = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')) as { version: string };
  const { zip } = await buildTeamsPackage({ appId, publicUrl: config.publicUrl, version, i18n: createI18n(config.locales.includes('en') ? config.locales : ['en', ...config.locales]) });
  const out = resolve(root, 'dist/tsuiki-teams.zip');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, zip);
  console.log(`wrote ${out} (${zip.length} bytes): upload it in Teams → Apps → Manage your apps → Upload an app`);
} catch (e) {
  console.error(e instanceof ConfigError ? e.message : e);
  process.exit(1);
}
