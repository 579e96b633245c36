import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const bin = join(import.meta.dirname, '../../bin/tsuiki.js');

describe('tsuiki serve and the web app', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsuiki-web-serve-'));
  let child: ChildProcess | undefined;
  afterAll(() => {
    child?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints where the web app is and renders its pages when started outside the checkout', async () => {
    // Another working directory: tsx then finds no tsconfig.json, and the JSX must still compile for hono.
    child = spawn(process.execPath, [bin, 'serve'], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: '0', DATA_DIR: join(dir, 'data'), ADMIN_TOKEN: 'admin-token-for-serve-test-0123456789' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const port = await new Promise<number>((resolve, reject) => {
      child!.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const match = /"port":(\d+).*tsuiki is serving/.exec(out);
        if (match && out.includes('web app:')) resolve(Number(match[1]));
      });
      child!.on('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
    });
    expect(out).toContain(`"msg":"web app: http://127.0.0.1:${port}/app/"`);
    const page = await fetch(`http://127.0.0.1:${port}/app/sign-in`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<form method="post" action="/app/sign-in/admin"');
    const exited = new Promise((resolve) => child!.on('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }, 40_000);
});
