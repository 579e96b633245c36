import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');

/** Starts `tsuiki serve` as a user would and resolves with the port it logged. */
function startServe(env: Record<string, string>): Promise<{ child: ChildProcess; port: number; output: () => string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/tsuiki.js', 'serve'], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /"port":(\d+).*tsuiki is serving/.exec(out);
      if (match) resolve({ child, port: Number(match[1]), output: () => out });
    });
    child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('exit', (code) => reject(new Error(`exited ${code}: ${err}${out}`)));
  });
}

function exitCode(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.on('exit', (code) => resolve(code)));
}

describe('tsuiki serve', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tsuiki-serve-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('serves /readyz on embedded PGlite and stops cleanly on SIGTERM', async () => {
    const { child, port, output } = await startServe({ DATA_DIR: dataDir });
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', database: 'ok' });
    expect(output()).toContain(`"msg":"status page: http://127.0.0.1:${port}/status"`);
    const exited = exitCode(child);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 30_000);

  it('stops at start-up with one line per bad setting', async () => {
    const child = spawn(process.execPath, ['bin/tsuiki.js', 'serve'], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', PORT: 'nope', TRANSLATOR: 'deepl' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
    expect(await exitCode(child)).toBe(2);
    const lines = err.trim().split('\n');
    expect(lines).toEqual([
      'tsuiki: invalid setting: PORT: must be a port number (0-65535), got "nope"',
      'tsuiki: invalid setting: DEEPL_AUTH_KEY: required when TRANSLATOR=deepl',
    ]);
  }, 30_000);

  // Checked once the database is open, after loadConfig: still one line naming the setting.
  it.each([
    [{ DIGEST_CRON: 'every day' }, /^tsuiki: invalid setting: DIGEST_CRON: must be a cron expression such as "0 9 \* \* 1-5", got "every day"/, 2],
    [{ COMPONENTS_FILE: '/nonexistent/components.yml' }, /^tsuiki: invalid setting: COMPONENTS_FILE: expected a readable YAML file, got "\/nonexistent\/components.yml" \(ENOENT\)$/, 2],
    [{ DATABASE_URL: 'postgres://tsuiki:hunter2@127.0.0.1:1/tsuiki' }, /^tsuiki: DATABASE_URL: expected a PostgreSQL server .* 127\.0\.0\.1:1\/tsuiki cannot be reached \(ECONNREFUSED\)/, 1],
  ])('names the setting when %o stops start-up', async (env, pattern, code) => {
    const child = spawn(process.execPath, ['bin/tsuiki.js', 'serve'], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
    expect(await exitCode(child)).toBe(code);
    const lines = err.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(pattern);
    expect(err).not.toContain('hunter2');
  }, 30_000);
});
