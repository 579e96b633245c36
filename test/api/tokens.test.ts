import { spawnSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokensCreate, tokensList, tokensRevoke } from '../../src/api/tokens-cli.ts';
import * as t from '../../src/db/schema.ts';
import { createTestDatabase, describeDb, type TestDatabase } from '../helpers/database.ts';
import { type ApiHarness, startApi } from './helpers.ts';

const root = join(import.meta.dirname, '../..');

let database: TestDatabase;
let api: ApiHarness;

beforeAll(async () => {
  database = await createTestDatabase();
  api = await startApi(database);
});

afterAll(async () => {
  await api?.close();
  await database?.drop();
});

/** What a `tokens` subcommand wrote, line by line. */
function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) }, out, err };
}

describeDb('tsuiki tokens', () => {
  it('create prints the token once and stores only its SHA-256', async () => {
    const name = `deploy-${randomUUID().slice(0, 6)}`;
    const { io, out, err } = capture();
    expect(await tokensCreate(database.db, name, io, api.clock.now())).toBe(0);
    expect(out).toHaveLength(1);
    const token = out[0]!;
    expect(token).toMatch(/^tsk_[A-Za-z0-9_-]{43}$/);
    expect(err.join('\n')).not.toContain(token);
    const [row] = await database.db.select().from(t.apiToken).where(eq(t.apiToken.name, name));
    expect(row!.tokenHash).toBe(createHash('sha256').update(token).digest('hex'));
    expect(JSON.stringify(row)).not.toContain(token.slice(4));
    // It works, and list never shows it.
    expect((await api.call('GET', '/api/v1/incidents', { token })).status).toBe(200);
    const listed = capture();
    await tokensList(database.db, listed.io);
    expect(listed.out.join('\n')).not.toContain(token.slice(4));
  });

  it('refuses a name already taken and a malformed one', async () => {
    const name = `dup-${randomUUID().slice(0, 6)}`;
    expect(await tokensCreate(database.db, name, capture().io)).toBe(0);
    const again = capture();
    expect(await tokensCreate(database.db, name, again.io)).toBe(1);
    expect(again.out).toEqual([]);
    expect(again.err.join('\n')).toContain('already exists');
    const bad = capture();
    expect(await tokensCreate(database.db, 'has space', bad.io)).toBe(1);
    expect(bad.out).toEqual([]);
  });

  it('revoke stops the token at once; a second revoke is refused', async () => {
    const name = `gone-${randomUUID().slice(0, 6)}`;
    const created = capture();
    await tokensCreate(database.db, name, created.io);
    const token = created.out[0]!;
    expect((await api.call('GET', '/api/v1/incidents', { token })).status).toBe(200);
    const revoked = capture();
    expect(await tokensRevoke(database.db, name, revoked.io, api.clock.now())).toBe(0);
    expect(revoked.out).toEqual([`token "${name}" revoked`]);
    expect((await api.call('GET', '/api/v1/incidents', { token })).status).toBe(401);
    expect(await tokensRevoke(database.db, name, capture().io)).toBe(1);
    expect(await tokensRevoke(database.db, 'never-existed', capture().io)).toBe(1);
  });

  it('list shows name, created, last used and revoked', async () => {
    const used = `used-${randomUUID().slice(0, 6)}`;
    const created = capture();
    await tokensCreate(database.db, used, created.io, new Date('2026-02-26T10:00:00Z'));
    await api.call('GET', '/api/v1/incidents', { token: created.out[0]! });
    await tokensRevoke(database.db, used, capture().io, new Date('2026-02-26T16:00:00Z'));
    const listed = capture();
    expect(await tokensList(database.db, listed.io)).toBe(0);
    expect(listed.out[0]).toMatch(/^NAME +CREATED +LAST USED +REVOKED$/);
    const line = listed.out.find((l) => l.startsWith(used));
    expect(line).toMatch(new RegExp(`^${used} +2026-02-26T10:00:00Z +${api.clock.now().toISOString().replace(/\.\d{3}Z$/, 'Z')} +2026-02-26T16:00:00Z$`));
  });
});

describe('tsuiki tokens (command line)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tsuiki-tokens-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
  const tsuiki = (...args: string[]) =>
    spawnSync(process.execPath, ['bin/tsuiki.js', 'tokens', ...args], { cwd: root, env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir, LOG_LEVEL: 'warn' }, encoding: 'utf8', timeout: 60_000 });

  it('creates, lists and revokes through bin/tsuiki.js', () => {
    const created = tsuiki('create', 'ci');
    expect(created.status).toBe(0);
    expect(created.stdout).toMatch(/^tsk_[A-Za-z0-9_-]{43}\n$/);
    expect(created.stderr).toContain('shown this once');
    const listed = tsuiki('list');
    expect(listed.stdout).toMatch(/^ci +\S+Z +- +-$/m);
    expect(listed.stdout).not.toContain(created.stdout.trim());
    expect(tsuiki('revoke', 'ci').status).toBe(0);
    expect(tsuiki('list').stdout).toMatch(/^ci +\S+Z +- +\S+Z$/m);
    const again = tsuiki('revoke', 'ci');
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('no active token named "ci"');
  }, 120_000);
});
