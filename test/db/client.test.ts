import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DatabaseLockedError, openDatabase } from '../../src/db/client.ts';

describe('embedded PGlite in a directory', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsuiki-db-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a second opener of the same directory instead of sharing it', async () => {
    const first = await openDatabase({ dataDir: dir });
    try {
      await expect(openDatabase({ dataDir: dir })).rejects.toBeInstanceOf(DatabaseLockedError);
    } finally {
      await first.close();
    }
  });

  it('keeps data across a restart and applies migrations only once', async () => {
    const first = await openDatabase({ dataDir: dir });
    await first.db.execute('create table if not exists restart_probe (n int)');
    await first.db.execute('insert into restart_probe values (42)');
    await first.close();
    const second = await openDatabase({ dataDir: dir });
    try {
      const result = (await second.db.execute('select n from restart_probe')) as unknown as { rows: { n: number }[] };
      expect(result.rows).toEqual([{ n: 42 }]);
      await expect(second.ping()).resolves.toBeUndefined();
    } finally {
      await second.close();
    }
  });
});
