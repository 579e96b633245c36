import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ConsoleSession } from '../../../src/chat/console/console-session.ts';
import * as t from '../../../src/db/schema.ts';
import { createLogger } from '../../../src/logger.ts';
import { EMPTY_GLOSSARY } from '../../../src/translate/glossary.ts';
import { TranslationService } from '../../../src/translate/translation-service.ts';
import type { TranslateRequest } from '../../../src/translate/translator.ts';
import { createTestDatabase, describeDb, type TestDatabase } from '../../helpers/database.ts';
import { mentionMessage, TEAMS_CHANNEL } from '../../helpers/teams/activities.ts';
import { PROACTIVE } from '../../helpers/teams/connector-server.ts';
import { openTeamsHarness, type TeamsHarness } from '../../helpers/teams/harness.ts';

/** A translator that answers only when the test lets it: a turn that waited for it would hang. */
class GatedTranslator {
  readonly name = 'gated';
  readonly calls: TranslateRequest[] = [];
  private open!: () => void;
  private gate = new Promise<void>((resolve) => (this.open = resolve));
  async translate(request: TranslateRequest): Promise<string> {
    this.calls.push(request);
    await this.gate;
    return `[${request.targetLang}] ${request.text}`;
  }
  release(): void {
    this.open();
  }
}

let database: TestDatabase;
let h: TeamsHarness;
const translator = new GatedTranslator();

beforeAll(async () => {
  database = await createTestDatabase();
  h = await openTeamsHarness(database, { translator: new TranslationService(translator, EMPTY_GLOSSARY, { timeoutMs: 60_000 }) });
});
afterAll(async () => {
  translator.release();
  await h?.close();
  await database?.drop();
});

describeDb('Teams: the turn answers its invoker and nothing else', () => {
  let thread = '';

  it('declare, then a public update whose preview answers before the translator does; the translation edits it later', async () => {
    expect((await h.post(mentionMessage(h.connector.url, 'declare Checkout errors --sev 2'))).status).toBe(200);
    await h.settle();
    const [place] = await database.db.select().from(t.teamsConversation).where(eq(t.teamsConversation.purpose, 'incident'));
    thread = place!.conversationId!;

    const from = h.connector.calls.length;
    const answered = await Promise.race([
      h.post(mentionMessage(h.connector.url, 'status identified Checkout is failing for some customers', { conversationId: thread })),
      new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 10_000)),
    ]);
    expect(answered).not.toBe('hung');
    expect((answered as { status: number }).status).toBe(200);
    // The preview came back in the turn, the Japanese still missing; the translator was not awaited.
    const turn = h.connector.since(from).filter((c) => c.operationId === 'Conversations_ReplyToActivity');
    const preview = turn.find((c) => JSON.stringify(c.body).includes('Checkout is failing'));
    expect(preview).toBeDefined();
    expect(JSON.stringify(preview!.body)).not.toContain('[ja]');

    translator.release();
    await h.settle();
    await h.settle();
    const [tr] = await database.db.select().from(t.publicUpdateTranslation).where(eq(t.publicUpdateTranslation.lang, 'ja'));
    expect(tr?.body).toContain('[ja]');
    const edit = h.connector
      .since(from)
      .find((c) => c.operationId === 'Conversations_UpdateActivity' && JSON.stringify(c.body).includes('[ja] Checkout is failing'));
    expect(edit).toBeDefined();
    expect(edit!.params.activityId).toBe((preview!.reply as { id: string }).id);
    expect(h.connector.problems).toEqual([]);
  });

  it('a command said elsewhere is answered first; its result reaches the incident thread afterwards', async () => {
    const elsewhere = `${TEAMS_CHANNEL};messageid=4242`;
    const from = h.connector.calls.length;
    // The connector holds every proactive call: the answer cannot have waited for one.
    h.connector.hold(PROACTIVE);
    const first = await h.post(mentionMessage(h.connector.url, 'INC-1 update first note from elsewhere', { conversationId: elsewhere }));
    const second = await h.post(mentionMessage(h.connector.url, 'INC-1 update second note from elsewhere', { conversationId: elsewhere }));
    expect([first.status, second.status]).toEqual([200, 200]);
    const replies = h.connector.since(from).filter((c) => c.operationId === 'Conversations_ReplyToActivity');
    expect(replies.map((c) => c.params.conversationId)).toEqual([elsewhere, elsewhere]);
    h.connector.release();
    await h.settle();
    const posted = h.connector
      .since(from)
      .filter((c) => c.operationId === 'Conversations_SendToConversation' && c.params.conversationId === thread)
      .map((c) => JSON.stringify(c.body))
      .filter((body) => body.includes('note recorded'));
    expect(posted).toHaveLength(2);
    const notes = await database.db.select({ text: t.timelineEntry.text }).from(t.timelineEntry).where(eq(t.timelineEntry.kind, 'note'));
    expect(notes.map((n) => n.text)).toEqual(expect.arrayContaining(['first note from elsewhere', 'second note from elsewhere']));
    expect(h.connector.problems).toEqual([]);
  });

  it('a command typed in the console refreshes the Teams header card too', async () => {
    const [before] = await database.db.select().from(t.teamsConversation).where(eq(t.teamsConversation.purpose, 'incident'));
    const out = { chunks: [] as string[], write(chunk: string) { this.chunks.push(chunk); return true; } };
    const session = new ConsoleSession(h.runtime, out as never, { platform: 'console', id: 'ops', name: 'ops', lang: 'en' }, createLogger({ level: 'silent' }));
    const from = h.connector.calls.length;
    await session.input('INC-1 severity 1');
    // The write left an incident.changed job; the serving process's worker queues and sends the header.
    await h.settle();
    const [queued] = await database.db.select().from(t.teamsConversation).where(eq(t.teamsConversation.id, before!.id));
    expect(queued!.headerVersion).toBeGreaterThan(before!.headerVersion);
    const edit = h.connector.since(from).find((c) => c.operationId === 'Conversations_UpdateActivity' && c.params.activityId === before!.headerActivityId);
    expect(edit).toBeDefined();
    expect(JSON.stringify(edit!.body)).toMatch(/SEV ?1|Sev ?1|sev1|SEV1/i);
  });
});
