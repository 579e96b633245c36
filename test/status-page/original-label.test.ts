import { parseFeed } from '@rowanmanning/feed-parser';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { declare, makeContext, MINUTE, person } from '../app/helpers.ts';
import { createTestDatabase, describeDb, type TestDatabase } from '../helpers/database.ts';
import { publish, startStatusPage } from './helpers.ts';

const SOURCE_TEXT = 'We are investigating failed logins.';

let database: TestDatabase;
let server: Awaited<ReturnType<typeof startStatusPage>>;
let incidentId: string;

// One incident whose only update was published in English with no Japanese translation.
beforeAll(async () => {
  database = await createTestDatabase();
  const { ctx, clock } = makeContext(database.db);
  const actor = person('Aiko');
  ({ incidentId } = await declare(ctx, actor, { title: 'Login failures', components: ['auth'], impact: 'major_outage', severity: 'SEV2' }));
  clock.advance(5 * MINUTE);
  await publish(ctx, actor, incidentId, { en: SOURCE_TEXT });
  server = await startStatusPage(database.db, clock);
});

afterAll(async () => {
  await server?.close();
  await database.drop();
});

const text = async (path: string) => (await fetch(server.base + path)).text();

describeDb('untranslated text is labelled as the original', () => {
  it.each(['/status?lang=ja', `/status/incidents/PLACEHOLDER?lang=ja`])('labels it 原文（英語） on %s', async (path) => {
    const html = await text(path.replace('PLACEHOLDER', incidentId));
    expect(html).toContain(`<p class="update-body"><span class="update-original">原文（英語）:</span> <span lang="en">${SOURCE_TEXT}</span></p>`);
  });

  it('shows text in the page\'s own language without a label', async () => {
    const html = await text('/status?lang=en');
    expect(html).toContain(`<p class="update-body">${SOURCE_TEXT}</p>`);
    expect(html).not.toContain('class="update-original"');
  });

  it.each(['/status/feed.atom', '/status/feed.rss'])('labels it in the Japanese %s', async (path) => {
    const feed = parseFeed(await text(`${path}?lang=ja`));
    const item = feed.items.find((i) => i.title === 'Login failures')!;
    expect(item.content).toContain(`原文（英語）: ${SOURCE_TEXT}`);
    expect(item.description).toContain(`原文（英語）: ${SOURCE_TEXT}`);
  });

  it('keeps the Statuspage-compatible JSON raw', async () => {
    const body = JSON.parse(await text('/api/v2/incidents.json?lang=ja')) as { incidents: { name: string; incident_updates: { body: string }[] }[] };
    const incident = body.incidents.find((i) => i.name === 'Login failures')!;
    expect(incident.incident_updates[0]!.body).toBe(SOURCE_TEXT);
  });
});
