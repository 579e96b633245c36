import { eq } from 'drizzle-orm';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { importSubscribers, parseCsv } from '../../src/app/import-subscribers.ts';
import * as t from '../../src/db/schema.ts';
import { createTestDatabase, describeDb, type TestDatabase } from '../helpers/database.ts';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());

const options = { locales: ['en', 'ja'], timeZones: { en: 'UTC', ja: 'Asia/Tokyo' }, now: new Date('2026-02-26T00:00:00Z') };
const HEADER = 'type,address,lang,time_zone,components,secret\n';

describeDb('tsuiki subscribers import', () => {
  it('adds confirmed subscribers with language, zone and component filter', async () => {
    const result = await importSubscribers(database.db, `${HEADER}email,Tanaka@Example.jp,ja,Asia/Tokyo,api;console,\n`, options);
    expect(result).toMatchObject({ added: 1, updated: 0, errors: [] });
    const [row] = await database.db.select().from(t.subscriber).where(eq(t.subscriber.address, 'tanaka@example.jp'));
    expect(row).toMatchObject({ kind: 'email', lang: 'ja', timeZone: 'Asia/Tokyo', components: ['api', 'console'], confirmed: true });
  });

  it('updates an existing subscriber instead of adding a second', async () => {
    await importSubscribers(database.db, `${HEADER}email,same@example.com,en,UTC,,\n`, options);
    const result = await importSubscribers(database.db, `${HEADER}email,same@example.com,ja,,,\n`, options);
    expect(result).toMatchObject({ added: 0, updated: 1 });
    const rows = await database.db.select().from(t.subscriber).where(eq(t.subscriber.address, 'same@example.com'));
    expect(rows.map((r) => [r.lang, r.timeZone])).toEqual([['ja', 'Asia/Tokyo']]);
  });

  it('generates a usable Standard Webhooks secret once, and keeps it on re-import', async () => {
    const csv = `${HEADER}webhook,https://hooks.example.com/a,en,UTC,,\n`;
    const first = await importSubscribers(database.db, csv, options);
    expect(first.generatedSecrets).toHaveLength(1);
    const secret = first.generatedSecrets[0]!.secret;
    expect(secret).toMatch(/^whsec_/);
    expect(() => new Webhook(secret)).not.toThrow();
    const second = await importSubscribers(database.db, csv, options);
    expect(second.generatedSecrets).toEqual([]);
    const [row] = await database.db.select().from(t.subscriber).where(eq(t.subscriber.address, 'https://hooks.example.com/a'));
    expect(row?.secret).toBe(secret);
  });

  it('applies repeated lines for one subscriber in order, as if one by one', async () => {
    const given = `whsec_${Buffer.from('a-secret-of-thirty-two-bytes-ok!').toString('base64')}`;
    const csv = [
      'email,twice@example.com,en,UTC,api,',
      'email,TWICE@example.com,ja,,console,',
      'webhook,https://hooks.example.com/twice,en,UTC,,',
      `webhook,https://hooks.example.com/twice,ja,,,${given}`,
      'webhook,https://hooks.example.com/twice,en,,,',
    ].join('\n');
    const result = await importSubscribers(database.db, `${HEADER}${csv}\n`, options);
    expect(result).toMatchObject({ added: 2, updated: 3, errors: [], generatedSecrets: [] });
    const rows = await database.db.select().from(t.subscriber).where(eq(t.subscriber.confirmed, true));
    const mail = rows.find((r) => r.address === 'twice@example.com');
    const hook = rows.find((r) => r.address === 'https://hooks.example.com/twice');
    expect([mail?.lang, mail?.timeZone, mail?.components]).toEqual(['ja', 'Asia/Tokyo', ['console']]);
    // The secret a line gave stays; the later line without one keeps it.
    expect([hook?.lang, hook?.secret]).toEqual(['en', given]);
  });

  it('imports a file larger than one batch, counting each subscriber once', async () => {
    const lines = Array.from({ length: 2_345 }, (_, i) => `email,bulk${i}@example.com,${i % 2 ? 'ja' : 'en'},,,`);
    const first = await importSubscribers(database.db, `${HEADER}${lines.join('\n')}\n`, options);
    expect(first).toMatchObject({ added: 2_345, updated: 0, errors: [] });
    const again = await importSubscribers(database.db, `${HEADER}${lines.join('\n')}\nemail,bulk-new@example.com,en,,,\n`, options);
    expect(again).toMatchObject({ added: 1, updated: 2_345, errors: [] });
    const rows = await database.db.select({ address: t.subscriber.address, timeZone: t.subscriber.timeZone }).from(t.subscriber);
    const bulk = rows.filter((r) => r.address.startsWith('bulk'));
    expect(bulk).toHaveLength(2_346);
    expect(bulk.find((r) => r.address === 'bulk1@example.com')?.timeZone).toBe('Asia/Tokyo');
  });

  it.each([
    ['sms,+81,en,UTC,,', 'type must be email or webhook', 'type'],
    ['email,not-an-address,en,UTC,,', 'is not an email address', 'email'],
    ['webhook,ftp://x.example.com,en,UTC,,', 'is not an http(s) URL', 'url'],
    ['email,a@example.com,fr,UTC,,', 'lang must be one of en, ja', 'lang'],
    ['email,a@example.com,en,Mars/Base,,', 'is not an IANA time zone', 'time_zone'],
  ])('rejects %s with a line-numbered reason', async (line, reason, code) => {
    const result = await importSubscribers(database.db, `${HEADER}${line}\n`, options);
    expect(result.errors).toEqual([{ line: 2, code, params: expect.any(Object), message: expect.stringContaining(reason) }]);
    expect(result.added + result.updated).toBe(0);
  });

  it('refuses a file without the header', async () => {
    const result = await importSubscribers(database.db, 'email,a@example.com\n', options);
    expect(result.errors[0]).toMatchObject({ line: 1 });
  });

  it('parses quoted CSV fields', () => {
    expect(parseCsv('a,"b,""c""",d\r\n1,2,3')).toEqual([['a', 'b,"c"', 'd'], ['1', '2', '3']]);
  });
});
