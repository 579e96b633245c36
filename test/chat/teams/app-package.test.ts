import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import JSZip from 'jszip';
import { describe, expect, it } from 'vitest';
import { buildManifest, buildTeamsPackage, MANIFEST_VERBS } from '../../../src/chat/teams/app-package.ts';
import { VERBS } from '../../../src/core/command.ts';
import { testI18n } from '../../app/helpers.ts';
import { manifestProblems } from '../../helpers/teams/schemas.ts';

const APP_ID = '6b0c2b9e-8f5a-4c3e-9d1a-2f7e4b8c9a10';
const input = { appId: APP_ID, publicUrl: 'https://tsuiki.example.com', version: '0.1.0', i18n: testI18n() };

function pngSize(png: Buffer): { width: number; height: number } {
  expect(png.subarray(1, 4).toString('ascii')).toBe('PNG');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

describe('Teams app package', () => {
  it('the manifest validates against MicrosoftTeams.schema.v1.19.json', () => {
    expect(manifestProblems(buildManifest(input))).toEqual([]);
  });

  it('a manifest breaking the schema is caught (the check can fail)', () => {
    expect(manifestProblems({ ...buildManifest(input), id: 'not-a-guid' })).not.toEqual([]);
  });

  it('offers commands taken from the command vocabulary, with descriptions', () => {
    const bot = (buildManifest(input).bots as { commandLists: { commands: { title: string; description: string }[] }[] }[])[0]!;
    const titles = bot.commandLists[0]!.commands.map((c) => c.title);
    expect(titles).toEqual([...MANIFEST_VERBS]);
    for (const title of titles) expect(VERBS).toContain(title);
    for (const c of bot.commandLists[0]!.commands) expect(c.description.length).toBeGreaterThan(5);
  });

  it('the zip holds manifest.json, a 192×192 color icon and a 32×32 outline icon', async () => {
    const { zip } = await buildTeamsPackage(input);
    const files = await JSZip.loadAsync(zip);
    expect(Object.keys(files.files).sort()).toEqual(['color.png', 'manifest.json', 'outline.png']);
    expect(pngSize(await files.file('color.png')!.async('nodebuffer'))).toEqual({ width: 192, height: 192 });
    expect(pngSize(await files.file('outline.png')!.async('nodebuffer'))).toEqual({ width: 32, height: 32 });
    expect(manifestProblems(JSON.parse(await files.file('manifest.json')!.async('string')))).toEqual([]);
  });

  it('npm run teams:package writes dist/tsuiki-teams.zip', async () => {
    // The script writes into the repository's dist/ (git-ignored); settings come from the environment.
    const { stdout } = await promisify(execFile)('node', ['--import', 'tsx', 'scripts/teams-package.ts'], {
        // The app id and the public URL only: no password, tenant or app type (SingleTenant by default would want a tenant to serve).
        env: { ...withoutMicrosoftAuth(process.env), MicrosoftAppId: APP_ID, PUBLIC_URL: 'https://tsuiki.example.com' },
        cwd: process.cwd(),
      });
      expect(stdout).toContain('tsuiki-teams.zip');
      const files = await JSZip.loadAsync(readFileSync('dist/tsuiki-teams.zip'));
      const manifest = JSON.parse(await files.file('manifest.json')!.async('string'));
      expect(manifest.id).toBe(APP_ID);
      expect(manifest.bots[0].botId).toBe(APP_ID);
      expect(manifestProblems(manifest)).toEqual([]);
      expect(JSON.stringify(manifest)).not.toMatch(/password|secret/i);
  });
});

/** The environment without any Microsoft auth setting, so the script sees only what the test gives it. */
function withoutMicrosoftAuth(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([key]) => !/^(MicrosoftApp|TEAMS_PLAYGROUND)/.test(key)));
}
