import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { postmortemLinksFor } from '../../../src/chat/postmortem-link.ts';
import * as t from '../../../src/db/schema.ts';
import { createHttpServer, type HttpServer } from '../../../src/http.ts';
import { createLogger } from '../../../src/logger.ts';
import { registerPostmortemRoute } from '../../../src/manager/postmortem-route.ts';
import { createMetrics } from '../../../src/metrics.ts';
import { testI18n } from '../../app/helpers.ts';
import { createTestDatabase, describeDb, type TestDatabase } from '../../helpers/database.ts';
import { mentionMessage } from '../../helpers/teams/activities.ts';
import { type TeamsHarness, openTeamsHarness } from '../../helpers/teams/harness.ts';
import { adaptiveCardProblems, cardsIn } from '../../helpers/teams/schemas.ts';

const PUBLIC_URL = 'https://tsuiki.example';

let database: TestDatabase;
let h: TeamsHarness;
let http: HttpServer;
let base: string;

beforeAll(async () => {
  database = await createTestDatabase();
  // Without Slack, ADMIN_TOKEN is the secret the links are signed with.
  h = await openTeamsHarness(database, { env: { ADMIN_TOKEN: 'teams-admin-token-0123456789', PUBLIC_URL } });
  http = createHttpServer({
    database,
    logger: createLogger({ level: 'silent' }),
    metrics: createMetrics(),
    routes: (app) =>
      registerPostmortemRoute(app, {
        db: database.db,
        i18n: testI18n(),
        languages: ['en', 'ja'],
        adminToken: 'teams-admin-token-0123456789',
        links: postmortemLinksFor(h.runtime),
        teamTimeZone: 'Asia/Tokyo',
      }),
  });
  base = `http://127.0.0.1:${(await http.listen(0, '127.0.0.1')).port}`;
});
afterAll(async () => {
  await http?.close();
  await h?.close();
  await database?.drop();
});

const mention = (command: string, conversationId?: string) => mentionMessage(h.connector.url, command, { conversationId });

describeDb('Teams: the postmortem as a link card', () => {
  it('close answers with the intervals and a card linking each language\'s rendered draft', async () => {
    await h.post(mention('declare Checkout failing --sev 2 --components api'));
    await h.settle();
    const [place] = await database.db.select().from(t.teamsConversation).where(eq(t.teamsConversation.purpose, 'incident'));
    const thread = place!.conversationId!;
    h.clock.advance(30 * 60_000);
    const from = h.connector.calls.length;
    await h.post(mention('close Checkout is back.', thread));
    await h.settle();
    const cards = h.connector.since(from).flatMap((c) => cardsIn(c.body)) as { body: unknown; actions?: { type: string; title: string; url?: string }[] }[];
    const card = cards.find((c) => JSON.stringify(c.body).includes('the key intervals'))!;
    expect(card).toBeDefined();
    expect(adaptiveCardProblems(card)).toEqual([]);
    expect(JSON.stringify(card.body)).toContain('Time to declare');
    const opens = (card.actions ?? []).filter((a) => a.type === 'Action.OpenUrl');
    expect(opens.map((a) => a.title)).toEqual(['Postmortem draft (en)', 'Postmortem draft (ja)']);
    expect(opens[0]!.url).toMatch(new RegExp(`^${PUBLIC_URL}/incidents/\\d+/postmortem\\?lang=en&exp=\\d+&sig=`));
    expect(h.connector.problems).toEqual([]);

    // The link opens the rendered draft without a token; the same link with another signature does not.
    const url = opens[1]!.url!.replace(PUBLIC_URL, base);
    const res = await fetch(url);
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).toContain('<html lang="ja">');
    expect(page).toContain('<pre class="mermaid">');
    const forged = await fetch(url.replace(/sig=[^&]+/, 'sig=forged'));
    expect(forged.status).toBe(403);
    expect(await forged.text()).not.toContain('Checkout');
  });
});
