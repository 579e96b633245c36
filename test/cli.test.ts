import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeSettings, loadConfig } from '../src/config.ts';
import { statusPageUrl } from '../src/main.ts';

const root = join(import.meta.dirname, '..');

/** Runs bin/tsuiki.js as a user would, with no settings from this machine's environment. */
function tsuiki(...args: string[]) {
  const result = spawnSync(process.execPath, ['bin/tsuiki.js', ...args], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '' },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('tsuiki command line', () => {
  it('prints package.json version for --version', () => {
    const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
    const result = tsuiki('--version');
    expect(result).toMatchObject({ code: 0, stdout: `${version}\n` });
  });

  it('lists every command in --help', () => {
    const { code, stdout } = tsuiki('--help');
    expect(code).toBe(0);
    for (const command of ['serve', 'console', 'demo', 'migrate', 'subscribers']) expect(stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
  });

  it('lists every setting of the config schema in --help, with its default', () => {
    const { stdout } = tsuiki('--help');
    for (const setting of describeSettings()) expect(stdout).toMatch(new RegExp(`^  ${setting.name} `, 'm'));
    expect(stdout).toMatch(/^ {2}PORT +default 3000$/m);
    expect(stdout).toMatch(/^ {2}TRANSLATOR +one of none, deepl, openai; default none$/m);
  });

  it('names an unknown command', () => {
    const { code, stderr } = tsuiki('frob');
    expect(code).toBe(1);
    expect(stderr).toContain("unknown command 'frob'");
  });
});

describe('statusPageUrl (logged by tsuiki serve)', () => {
  it.each([
    [{}, 3000, '0.0.0.0', 'http://localhost:3000/status'],
    [{ PORT: '0' }, 41234, '127.0.0.1', 'http://127.0.0.1:41234/status'],
    [{}, 3000, '::', 'http://localhost:3000/status'],
    [{}, 3000, '::1', 'http://[::1]:3000/status'],
    [{ PUBLIC_URL: 'https://status.example.com/' }, 3000, '0.0.0.0', 'https://status.example.com/status'],
  ])('with %o listening on %i at %s is %s', (env, port, host, expected) => {
    expect(statusPageUrl(loadConfig(env), port, host)).toBe(expected);
  });
});
