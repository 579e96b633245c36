import { existsSync, mkdirSync } from 'node:fs';
import { eq } from 'drizzle-orm';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import * as t from '../../../src/db/schema.ts';
import { createTestDatabase, describeDb, type TestDatabase } from '../../helpers/database.ts';
import { openTeamsHarness, type TeamsHarness } from '../../helpers/teams/harness.ts';
import { Playground } from '../../helpers/teams/playground.ts';
import { adaptiveCardProblems, cardsIn } from '../../helpers/teams/schemas.ts';

let database: TestDatabase;
let h: TeamsHarness;
let playground: Playground;
/** Debian's chromium (apt-get install chromium); without it the screenshot is skipped, the rest still runs. */
const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
let browser: Browser | undefined;
let page: Page;

beforeAll(async () => {
  database = await createTestDatabase();
  h = await openTeamsHarness(database);
  playground = await new Playground().start(`${h.url}/api/messages`);
  // The web client shows only what arrives while it is open: it is opened before the conversation.
  if (hasChromium) {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 1400 } });
    await page.goto(playground.url);
    await page.getByText('Personal Chat').first().click();
  }
});
afterAll(async () => {
  await browser?.close();
  await playground?.stop();
  await h?.close();
  await database?.drop();
});

const json = (v: unknown) => JSON.stringify(v);

describeDb('Teams end to end through the Microsoft 365 Agents Playground', () => {
  it('declare, update, publish from the card, close', async () => {
    let from = playground.events.length;
    await playground.say('declare Payments API errors --sev 2');
    await playground.waitFor((e) => json(e).includes('Payments API errors') && json(e).includes('INC-'), from);

    from = playground.events.length;
    await playground.say('update Rolled back the deploy');
    await playground.waitFor((e) => /note/i.test(json(e)), from);

    from = playground.events.length;
    await playground.say('publish We are investigating errors on the Payments API.');
    const preview = await playground.waitFor((e) => json(e).includes('publish_update'), from);
    const card = preview.message!.attachments![0]!.content as { actions: { verb: string; data: { updateId: string } }[] };
    const updateId = card.actions[0]!.data.updateId;
    const messageId = String(preview.message!.messageId);
    const answer = await playground.execute(preview.actionConversationId!, messageId, 'publish_update', { updateId });
    const again = await playground.execute(preview.actionConversationId!, messageId, 'publish_update', { updateId });
    expect(json(again)).toMatch(/already/i);
    expect(json(answer)).not.toContain('publish_update');

    const [update] = await database.db.select().from(t.publicUpdate).where(eq(t.publicUpdate.id, updateId));
    expect(update?.state).toBe('published');

    from = playground.events.length;
    await playground.say('close Payments are back to normal.');
    await playground.waitFor((e) => /closed/i.test(json(e)), from);
  });

  it('every card the Playground received validates against Adaptive Cards 1.5', () => {
    const cards = playground.events.flatMap((e) => cardsIn(e.message));
    expect(cards.length).toBeGreaterThan(2);
    for (const card of cards) expect(adaptiveCardProblems(card)).toEqual([]);
  });

  it.skipIf(!hasChromium)('the Playground web client renders the preview card (screenshot kept in test-artifacts/)', async () => {
    // The rendered preview card, its buttons gone once published.
    await page.locator('text=/We are investigating errors on the Payments API/ >> visible=true').first().waitFor({ timeout: 15_000 });
    mkdirSync('test-artifacts', { recursive: true });
    await page.screenshot({ path: 'test-artifacts/teams-playground.png', fullPage: true });
  });
});
