import { readFileSync } from 'node:fs';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import * as t from '../../src/db/schema.ts';
import { makeContext, MINUTE, person } from '../app/helpers.ts';
import { createTestDatabase, describeDb, type TestDatabase } from '../helpers/database.ts';
import { declaredIn, openConsole } from './helpers.ts';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.drop();
});

describeDb('console: the postmortem draft at close', () => {
  it('prints the intervals, where each draft was written and a signed link to each', async () => {
    const { ctx, clock } = makeContext(database.db);
    const cli = openConsole(database, ctx, person('Aiko', 'en'), { ADMIN_TOKEN: 'console-admin-token-0123456789', PUBLIC_URL: 'https://tsuiki.example' });
    const { number, channel } = declaredIn(await cli.say('/incident declare Login errors --components api'));
    cli.session.channel = channel;
    clock.advance(20 * MINUTE);
    const out = await cli.say('/incident close');
    expect(out).toContain(`INC-${number} resolved and closed.`);
    expect(out).toContain('Time to resolve');

    const saved = [...out.matchAll(/Postmortem draft \((en|ja)\) saved to (\S+)/g)].map((m) => ({ lang: m[1]!, path: m[2]! }));
    expect(saved.map((s) => s.lang)).toEqual(['en', 'ja']);
    const [incident] = await database.db.select().from(t.incident).where(eq(t.incident.number, number));
    const drafts = await database.db.select().from(t.postmortem).where(eq(t.postmortem.incidentId, incident!.id));
    for (const { lang, path } of saved) {
      expect(path).toMatch(new RegExp(`files/INC-${number}-postmortem\\.${lang}\\.md$`));
      expect(readFileSync(path, 'utf8')).toBe(drafts.find((d) => d.lang === lang)!.markdown);
    }
    expect(out).toMatch(new RegExp(`Postmortem draft \\(en\\): https://tsuiki\\.example/incidents/${number}/postmortem\\?lang=en&exp=\\d+&sig=\\S+`));
    expect(out).toMatch(new RegExp(`Postmortem draft \\(ja\\): https://tsuiki\\.example/incidents/${number}/postmortem\\?lang=ja&exp=\\d+&sig=\\S+`));
  });
});
