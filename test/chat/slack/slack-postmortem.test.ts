import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postmortemLinksFor } from '../../../src/chat/postmortem-link.ts';
import * as t from '../../../src/db/schema.ts';
import type { HttpServer } from '../../../src/http.ts';
import { registerPostmortemRoute } from '../../../src/manager/postmortem-route.ts';
import { MINUTE, testI18n } from '../../app/helpers.ts';
import { createTestDatabase, describeDb, type TestDatabase } from '../../helpers/database.ts';
import { serveRoutes } from '../../helpers/serve-routes.ts';
import { PUBLIC_URL, SIGNING_SECRET, type SlackHarness, startSlackHarness } from '../../helpers/slack/harness.ts';
import { slashCommandRequest } from '../../helpers/slack/requests.ts';

const TARO = 'U0TARO0001';
const HANAKO = 'U0HANAKO01';
const GENERAL = 'C0GENERAL1';

let database: TestDatabase;
let h: SlackHarness;
let http: HttpServer;
let base: string;

beforeAll(async () => {
  database = await createTestDatabase();
  h = await startSlackHarness(database, { users: { [TARO]: { locale: 'en-US', name: 'Taro' }, [HANAKO]: { locale: 'ja-JP', name: 'Hanako' } } });
  // The postmortem route as the manager part mounts it, its links checked with the key the same settings give.
  const links = postmortemLinksFor({ config: { slack: { signingSecret: SIGNING_SECRET }, adminToken: undefined, publicUrl: PUBLIC_URL }, app: { clock: h.clock } });
  ({ http, base } = await serveRoutes(database, (app) =>
    registerPostmortemRoute(app, { db: database.db, i18n: testI18n(), languages: ['en', 'ja'], adminToken: undefined, links, teamTimeZone: 'Asia/Tokyo' }),
  ));
});

afterAll(async () => {
  await http?.close();
  await h?.close();
  await database?.drop();
});

async function command(text: string, userId: string, channelId: string) {
  const res = await h.send(slashCommandRequest({ text, userId, channelId, responseUrl: h.fake.responseUrl('pm') }));
  expect(res.status).toBe(200);
}

/** The link as served here instead of at PUBLIC_URL. */
const local = (url: string) => url.replace(PUBLIC_URL, base);

describeDb('Slack: the postmortem where the team is', () => {
  let channel: string;
  let links: { url: string; label: string }[] = [];

  it('at close: the intervals message, the drafts uploaded through the external flow, signed links', async () => {
    // The story: impact at 00:00, detected 00:01, declared 00:03, first public notice 00:25, mitigated 00:40, resolved at close.
    h.clock.advance(3 * MINUTE);
    await command('declare Widespread API outage --sev 1 --components api --started 2026-02-26T15:00:00Z', TARO, GENERAL);
    const [incident] = await database.db.select().from(t.incident).where(eq(t.incident.title, 'Widespread API outage'));
    const [ref] = await database.db.select().from(t.chatRef).where(eq(t.chatRef.incidentId, incident!.id));
    channel = ref!.channelId;
    h.clock.advance(42 * MINUTE);
    await command('detected 2026-02-26T15:01:00Z', TARO, channel);
    await command('mitigated 2026-02-26T15:40:00Z', TARO, channel);
    await database.db.insert(t.keyMoment).values({ incidentId: incident!.id, kind: 'first_public', at: new Date('2026-02-26T15:25:00Z'), setBy: TARO, recordedAt: new Date('2026-02-26T15:25:00Z') });
    h.clock.advance(60 * MINUTE);
    const before = h.fake.calls.length;
    await command('close', TARO, channel);
    expect(h.fake.rejected).toEqual([]);

    // The message in the channel: the intervals, each with its zone, and a link per language.
    const posted = h.fake.calls.slice(before).filter((c) => c.method === 'chat.postMessage' && c.args.channel === channel).map((c) => JSON.stringify(c.args.blocks));
    const message = posted.find((b) => b.includes('the key intervals'))!;
    expect(message).toBeDefined();
    expect(message).toContain('Time to detect: 1 min');
    expect(message).toContain('Time to first public update: 25 min');
    expect(message).toContain('Time to declare: 3 min');
    expect(message).toContain('Time to mitigate: 40 min');
    expect(message).toContain('Time to resolve: 1 h 45 min');
    expect(message).toContain('Time to detect: 1 min (at Feb 27, 00:01 GMT+9)');
    links = [...message.matchAll(/<(https:[^|>]+)\|([^>]+)>/g)].map((m) => ({ url: m[1]!.replace(/&amp;/g, '&'), label: m[2]! }));
    expect(links.map((l) => l.label)).toEqual(['Postmortem draft (en)', 'Postmortem draft (ja)']);
    expect(links[0]!.url).toMatch(new RegExp(`^${PUBLIC_URL}/incidents/${incident!.number}/postmortem\\?lang=en&exp=\\d+&sig=`));

    // One file per language, through both calls and the bytes in between.
    const flow = h.fake.methods().slice(before).filter((m) => m.startsWith('files.') || m === 'upload_url');
    expect(flow).toEqual(['files.getUploadURLExternal', 'upload_url', 'files.completeUploadExternal', 'files.getUploadURLExternal', 'upload_url', 'files.completeUploadExternal']);
    const drafts = await database.db.select().from(t.postmortem).where(eq(t.postmortem.incidentId, incident!.id));
    const files = [...h.fake.files.values()];
    expect(files.map((f) => f.filename)).toEqual([`INC-${incident!.number}-postmortem.en.md`, `INC-${incident!.number}-postmortem.ja.md`]);
    for (const file of files) {
      const lang = file.filename.includes('.ja.') ? 'ja' : 'en';
      const draft = drafts.find((d) => d.lang === lang)!;
      expect(file.bytes?.toString('utf8')).toBe(draft.markdown);
      expect(file.length).toBe(Buffer.byteLength(draft.markdown));
      expect(file).toMatchObject({ completed: true, channel });
    }
    expect(files[1]!.bytes!.toString('utf8')).toContain('ポストモーテム');
    expect(h.fake.callsOf('files.completeUploadExternal')[0]).toMatchObject({ channel_id: channel });
    // The status page link in the draft leads to the status page, not a 404.
    expect(drafts[0]!.markdown).toContain(`${PUBLIC_URL}/status`);
  });

  it('the link serves the rendered draft without a token; a forged or expired one gets 403 and learns nothing', async () => {
    const res = await fetch(local(links[0]!.url));
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).toContain('<pre class="mermaid">');
    expect(page).toContain('Time to first public update');
    const ja = await (await fetch(local(links[1]!.url))).text();
    expect(ja).toContain('<html lang="ja">');
    expect(ja).toContain('初回公開告知までの時間');

    const forged = links[0]!.url.replace(/sig=[^&]+/, 'sig=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
    const refused = await fetch(local(forged));
    expect(refused.status).toBe(403);
    const body = await refused.text();
    expect(body).not.toContain('Widespread');
    // A signature for another incident number opens nothing either.
    const other = await fetch(local(links[0]!.url.replace(/\/incidents\/\d+\//, '/incidents/999/')));
    expect(other.status).toBe(403);
    expect(await other.text()).toEqual(body);

    h.clock.advance(7 * 24 * 60 * MINUTE + MINUTE);
    const expired = await fetch(local(links[0]!.url));
    expect(expired.status).toBe(403);
    expect(await expired.text()).toContain('expired');
  });

  it('postmortem regenerates and shares again, in the asker\'s language', async () => {
    const before = h.fake.calls.length;
    await command('postmortem', HANAKO, channel);
    expect(h.fake.rejected).toEqual([]);
    const completes = h.fake.calls.slice(before).filter((c) => c.method === 'files.completeUploadExternal');
    expect(completes).toHaveLength(2);
    const replies = h.fake.calls.slice(before).filter((c) => c.method === 'chat.postMessage' || c.method === 'response_url').map((c) => JSON.stringify(c.args));
    expect(replies.some((r) => r.includes('主要な間隔') && r.includes('ポストモーテム草案（ja）'))).toBe(true);
  });
});

describe('the postmortem link', () => {
  it('is not a timeline link: each signature opens only its own page', async () => {
    const { timelineLinksFor } = await import('../../../src/chat/timeline-link.ts');
    const settings = { config: { slack: { signingSecret: SIGNING_SECRET }, adminToken: undefined, publicUrl: PUBLIC_URL }, app: { clock: { now: () => new Date('2026-02-27T00:00:00Z') } } };
    const timeline = new URL(timelineLinksFor(settings as never)!.url({ number: 3, visibility: 'public' }, 'en'));
    const postmortem = postmortemLinksFor(settings as never)!;
    expect(postmortem.check(3, timeline.searchParams.get('exp')!, timeline.searchParams.get('sig')!)).toEqual({ ok: false, reason: 'invalid' });
    const own = new URL(postmortem.url({ number: 3, visibility: 'private' }, 'ja'));
    expect(Number(own.searchParams.get('exp')) * 1000 - Date.parse('2026-02-27T00:00:00Z')).toBe(24 * 60 * MINUTE);
    expect(postmortem.check(3, own.searchParams.get('exp')!, own.searchParams.get('sig')!).ok).toBe(true);
  });
});
