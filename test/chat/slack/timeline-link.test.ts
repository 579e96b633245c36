import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { addNote } from '../../../src/app/add-note.ts';
import { timelineLinksFor } from '../../../src/chat/timeline-link.ts';
import { formatEntryLine } from '../../../src/core/describe-entry.ts';
import { compareEntries } from '../../../src/core/timeline.ts';
import { loadSnapshot } from '../../../src/db/incident-repository.ts';
import * as t from '../../../src/db/schema.ts';
import type { HttpServer } from '../../../src/http.ts';
import { registerTimelineRoute } from '../../../src/manager/timeline-route.ts';
import { MINUTE, testI18n } from '../../app/helpers.ts';
import { createTestDatabase, describeDb, type TestDatabase } from '../../helpers/database.ts';
import { serveRoutes } from '../../helpers/serve-routes.ts';
import { PUBLIC_URL, SIGNING_SECRET, type SlackHarness, startSlackHarness } from '../../helpers/slack/harness.ts';
import { slashCommandRequest } from '../../helpers/slack/requests.ts';

const TARO = 'U0TARO0001';
const HANAKO = 'U0HANAKO01';
const GENERAL = 'C0GENERAL1';
const NOTES = 70;

let database: TestDatabase;
let h: SlackHarness;
let http: HttpServer;
let base: string;

beforeAll(async () => {
  database = await createTestDatabase();
  h = await startSlackHarness(database, { users: { [TARO]: { locale: 'en-US', name: 'Taro' }, [HANAKO]: { locale: 'ja-JP', name: 'Hanako' } } });
  // The timeline route as the manager part mounts it: links checked with the key the same settings give.
  const links = timelineLinksFor({ config: { slack: { signingSecret: SIGNING_SECRET }, adminToken: undefined, publicUrl: PUBLIC_URL }, app: { clock: h.clock } });
  ({ http, base } = await serveRoutes(database, (app) =>
    registerTimelineRoute(app, { db: database.db, i18n: testI18n(), languages: ['en', 'ja'], teamTimeZone: 'Asia/Tokyo', links, adminToken: undefined, now: () => h.clock.now() }),
  ));
});

afterAll(async () => {
  await http?.close();
  await h?.close();
  await database?.drop();
});

async function command(text: string, userId: string, channelId: string) {
  const res = await h.send(slashCommandRequest({ text, userId, channelId, responseUrl: h.fake.responseUrl('t') }));
  expect(res.status).toBe(200);
}

/** Declares through Slack, then records more notes than one Slack message can hold. */
async function longIncident(title: string, flags = ''): Promise<{ incidentId: string; number: number; channel: string; notes: string[] }> {
  await command(`declare ${title} ${flags}`.trim(), TARO, GENERAL);
  const [incident] = await database.db.select().from(t.incident).where(eq(t.incident.title, title));
  const [ref] = await database.db.select().from(t.chatRef).where(eq(t.chatRef.incidentId, incident!.id));
  const actor = { platform: 'slack' as const, id: TARO, name: 'Taro', lang: 'en' };
  const notes: string[] = [];
  for (let i = 1; i <= NOTES; i++) {
    h.clock.advance(MINUTE);
    const text = `${title} note ${String(i).padStart(2, '0')}: ${'checked the eu-west load balancers and their health checks '.repeat(2)}`.trim();
    await addNote(h.slack.context.app, { actor, inIncidentChannel: true, idempotencyKey: `${title}-${i}` }, incident!.id, { text });
    notes.push(text);
  }
  return { incidentId: incident!.id, number: incident!.number, channel: ref!.channelId, notes };
}

/** The last ephemeral answer: its blocks, and the truncation note's count and link (`&amp;` read back as `&`). */
function lastAnswer() {
  const reply = h.fake.callsOf('response_url').at(-1)!;
  const blocks = reply.blocks as { type: string; text?: { text: string }; elements?: { text: string }[] }[];
  const note = blocks.find((b) => b.type === 'context')?.elements?.[0]?.text ?? '';
  const link = /<(https:[^>|]+)>$/.exec(note)?.[1]?.replaceAll('&amp;', '&');
  return { blocks, note, link, shown: JSON.stringify(blocks) };
}

function follow(link: string, path = (p: string) => p) {
  const url = new URL(link);
  return fetch(`${base}${path(url.pathname)}${url.search}`);
}

/** The timeline's lines as the dispatcher renders them, for counting what Slack could not show. */
async function timelineLines(incidentId: string, lang: string): Promise<string[]> {
  const incident = (await loadSnapshot(database.db, incidentId))!;
  return [...incident.entries].sort(compareEntries).map((e) => formatEntryLine(e, lang, 'Asia/Tokyo', testI18n()));
}

describeDb('Slack: a cut timeline links to the full one', () => {
  let pub: Awaited<ReturnType<typeof longIncident>>;

  it('cuts at 50 blocks with a note counting the characters left out and a signed link', async () => {
    pub = await longIncident('Load balancer flaps');
    await command('timeline', TARO, pub.channel);
    const { blocks, note, link } = lastAnswer();
    expect(blocks).toHaveLength(50);
    expect(note).toMatch(/^… [\d,]+ more characters — full timeline: <https:\/\/tsuiki\.example\/incidents\/\d+\/timeline\?lang=en&amp;exp=\d+&amp;sig=[\w-]+>$/);
    expect(new URL(link!).pathname).toBe(`/incidents/${pub.number}/timeline`);
    // Header + 48 entries shown; the count is every character of the entries left out.
    const lines = await timelineLines(pub.incidentId, 'en');
    const left = lines.slice(48).reduce((n, l) => n + [...l].length, 0);
    expect(Number(/… ([\d,]+) more/.exec(note)![1]!.replaceAll(',', ''))).toBe(left);
    expect(h.fake.rejected).toEqual([]);
  });

  it('following the link returns every entry, including those Slack could not show', async () => {
    const { link, shown } = lastAnswer();
    const res = await follow(link!);
    expect(res.status).toBe(200);
    const html = await res.text();
    const cut = pub.notes.filter((n) => !shown.includes(n));
    expect(cut.length).toBeGreaterThan(0);
    for (const n of pub.notes) expect(html).toContain(n);
    const md = await (await follow(link!, (p) => `${p}.md`)).text();
    for (const line of await timelineLines(pub.incidentId, 'en')) expect(md).toContain(`- ${line}`);
  });

  it('a forged or tampered link is refused with 403', async () => {
    const url = new URL(lastAnswer().link!);
    url.searchParams.set('sig', `x${url.searchParams.get('sig')!.slice(1)}`);
    expect((await follow(url.toString())).status).toBe(403);
    const other = new URL(lastAnswer().link!);
    other.searchParams.set('exp', String(Number(other.searchParams.get('exp')) + 1));
    expect((await follow(other.toString())).status).toBe(403);
  });

  it('speaks Japanese to a Japanese user: the note, and the page the link opens', async () => {
    await command('timeline', HANAKO, pub.channel);
    const { note, link } = lastAnswer();
    expect(note).toMatch(/^…残り[\d,]+文字 — タイムライン全文: <https:\/\/tsuiki\.example\/incidents\/\d+\/timeline\?lang=ja&amp;/);
    const html = await (await follow(link!)).text();
    expect(html).toContain('<html lang="ja">');
    expect(html).toContain(`INC-${pub.number} のタイムライン`);
    for (const n of pub.notes) expect(html).toContain(n);
  });

  it('a private incident’s link opens its timeline for a day, not a week', async () => {
    const priv = await longIncident('Token leak review', '--private');
    await command('timeline', TARO, priv.channel);
    const { link } = lastAnswer();
    const exp = Number(new URL(link!).searchParams.get('exp'));
    expect(exp * 1000 - h.clock.now().getTime()).toBe(24 * 60 * MINUTE);
    const html = await (await follow(link!)).text();
    for (const n of priv.notes) expect(html).toContain(n);
    h.clock.advance(24 * 60 * MINUTE + MINUTE);
    const expired = await follow(link!);
    expect(expired.status).toBe(403);
    expect(await expired.text()).toContain('expired');
  });
});
