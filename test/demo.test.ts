import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { runDemo } from '../src/demo.ts';
import { createLogger } from '../src/logger.ts';
import { openRuntime } from '../src/runtime.ts';

describe('tsuiki demo', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tsuiki-demo-'));
  let output = '';

  beforeAll(async () => {
    const runtime = await openRuntime(loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent' }), { inMemory: true });
    const out = new Writable({
      write(chunk: Buffer, _encoding, done) {
        output += chunk.toString();
        done();
      },
    });
    try {
      await runDemo(runtime, { platform: 'console', id: 'console:demo', name: 'demo', lang: 'en' }, out, createLogger({ level: 'silent' }), { inMemory: true });
    } finally {
      await runtime.close();
    }
  }, 120_000);
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('has a person type each Japanese translation through Edit translation, with no translator', () => {
    expect(output.match(/Translation saved \(ja\)\./g)).toHaveLength(3);
  });

  it('publishes every update in both languages', () => {
    expect(output.match(/Public update published\./g)).toHaveLength(3);
    expect(output.match(/^ {2}ja \(approved\)$/gm)).toHaveLength(3);
  });

  it('closes the incident and says where the postmortem drafts are', () => {
    expect(output).toContain('INC-1 resolved and closed.');
    expect(readdirSync(join(dataDir, 'files')).sort()).toEqual(['INC-1-postmortem.en.md', 'INC-1-postmortem.ja.md']);
    expect(output).toContain(`The postmortem drafts (Markdown, one per language) are in ${join(dataDir, 'files')}`);
    expect(output).toMatch(/throwaway database \(--memory\).*\/status/);
  });
});
