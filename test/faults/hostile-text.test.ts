import { randomUUID } from 'node:crypto';
import { parseFeed } from '@rowanmanning/feed-parser';
import RssParser from 'rss-parser';
import { and, eq, like } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syncComponents } from '../../src/app/components.ts';
import * as t from '../../src/db/schema.ts';
import { testI18n } from '../app/helpers.ts';
import { createTestDatabase, describeDb, type TestDatabase } from '../helpers/database.ts';
import { INCIDENTS_CHANNEL } from '../helpers/slack/harness.ts';
import { buttonRequest, slashCommandRequest, viewSubmissionRequest } from '../helpers/slack/requests.ts';
import { invokeActivity, mentionMessage } from '../helpers/teams/activities.ts';
import { addSubscriber } from '../publish/helpers.ts';
import { FITTING, type HostileText, OVERSIZED, stored } from './support/hostile-corpus.ts';
import {
  htmlAttributeValues,
  htmlProblems,
  htmlText,
  mailHeaderNames,
  markdownProblems,
  markdownText,
  slackProblems,
  slackText,
  teamsBodies,
  teamsProblems,
  teamsText,
  xmlProblems,
} from './support/hostile-outputs.ts';
import { type HostileStack, PUBLIC_URL, startHostileStack, WEBHOOK_SECRET } from './support/hostile-stack.ts';

/**
 * The hostile corpus through every real flow (declare title and summary, update, cause,
 * action, public update, component names, edit translation; on Slack and Teams), then every
 * output read back with its own grammar: Block Kit mrkdwn, Adaptive Cards, status-page HTML,
 * Atom/RSS, Statuspage JSON, email headers and bodies, signed webhooks, Statuspage requests
 * and the postmortem Markdown. Escaped, never deleted: each output still carries the text.
 */

const AIKO = 'U0AIKO0001';
const GENERAL = 'C0GENERAL1';
const i18n = testI18n();

/** Tags the status page is written with (src/status-page/html.ts); any other tag was injected. */
const PAGE_TAGS = new Set('html head body meta title link style header nav main footer section article div span p a ul ol li h1 h2 h3 form fieldset legend label input select option button time strong br'.split(' '));

interface Case {
  hostile: HostileText;
  /** What the stored text is: NUL and lone surrogates made U+FFFD. */
  text: string;
  slack: { incidentId: string; number: number; updateId: string };
  teams: { incidentId: string; number: number; updateId: string };
}

let database: TestDatabase;
let stack: HostileStack;
const cases: Case[] = [];

/** Line breaks as an HTML parser, a mail parser and XML read them. */
const lf = (s: string) => s.replace(/\r\n?/g, '\n');
/** Whitespace runs as one space: where a surface folds lines (mail subjects, Markdown lines). */
const folded = (s: string) => s.replace(/\s+/g, ' ').trim();

/** Text as Slack sends what a person typed: it escapes exactly `&`, `<` and `>` (tsuiki decodes them at the edge). */
const asSlackSends = (typed: string) => typed.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

async function slackCommand(text: string, channelId: string) {
  const res = await stack.sendSlack(slashCommandRequest({ text: asSlackSends(text), userId: AIKO, channelId, responseUrl: stack.fake.responseUrl(randomUUID()) }));
  expect(res.status).toBe(200);
}

/** Declares, notes, publishes (after a typed Japanese translation) and closes one incident on Slack. */
async function throughSlack(text: string, component: string): Promise<Case['slack']> {
  await slackCommand(`declare ${text} --components ${component} --summary ${text}`, GENERAL);
  const [incident] = await database.db.select().from(t.incident).where(eq(t.incident.number, await lastNumber()));
  const [ref] = await database.db.select().from(t.chatRef).where(and(eq(t.chatRef.incidentId, incident!.id), eq(t.chatRef.platform, 'slack')));
  const channel = ref!.channelId;
  for (const verb of ['update', 'cause', 'action', 'publish']) await slackCommand(`${verb} ${text}`, channel);
  const [update] = await database.db.select().from(t.publicUpdate).where(eq(t.publicUpdate.incidentId, incident!.id));
  const preview = [...stack.fake.messages.values()].find((m) => m.channel === channel && JSON.stringify(m.blocks).includes(update!.id))!;
  const press = (actionId: string) =>
    stack.sendSlack(buttonRequest({ actionId, value: update!.id, userId: AIKO, channelId: channel, messageTs: preview.ts, responseUrl: stack.fake.responseUrl(randomUUID()) }));
  await press('edit_translation');
  const view = stack.fake.callsOf('views.open').at(-1)!.view as { private_metadata: string };
  await stack.sendSlack(
    viewSubmissionRequest({
      callbackId: 'edit_translation',
      privateMetadata: view.private_metadata,
      userId: AIKO,
      values: { 'lang:ja': { value: { type: 'plain_text_input', value: `${text} (ja)` } } },
    }),
  );
  await press('publish_update');
  await slackCommand('close', channel);
  return { incidentId: incident!.id, number: incident!.number, updateId: update!.id };
}

async function lastNumber(): Promise<number> {
  const rows = await database.db.select({ n: t.incident.number }).from(t.incident);
  return Math.max(...rows.map((r) => r.n));
}

/** The recorded channel @mention, saying `command`, in `conversationId` (a new thread when absent). */
const mention = (command: string, conversationId?: string) => mentionMessage(stack.connector.url, command, { conversationId });

/** Text as Teams sends what a person typed in a message: HTML, with `&`, `<` and `>` as references (tsuiki decodes them at the edge). */
const asTeamsSends = (typed: string) => typed.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

const execute = (verb: string, data: Record<string, unknown>, conversationId: string) =>
  invokeActivity(mention('', conversationId), verb, data, { locale: 'en-US', channelData: true });

/** Invoke responses, kept to check them like every other card. */
const invokeBodies: unknown[] = [];

/** Declares, notes and publishes (after a typed Japanese translation) one incident on Teams. */
async function throughTeams(text: string): Promise<Case['teams']> {
  expect((await stack.postTeams(mention(`declare ${asTeamsSends(text)}`))).status).toBe(200);
  const number = await lastNumber();
  const [incident] = await database.db.select().from(t.incident).where(eq(t.incident.number, number));
  const [ref] = await database.db.select().from(t.chatRef).where(and(eq(t.chatRef.incidentId, incident!.id), eq(t.chatRef.platform, 'teams')));
  const thread = ref!.channelId;
  expect((await stack.postTeams(mention(`update ${asTeamsSends(text)}`, thread))).status).toBe(200);
  expect((await stack.postTeams(mention(`publish ${asTeamsSends(text)}`, thread))).status).toBe(200);
  const [update] = await database.db.select().from(t.publicUpdate).where(eq(t.publicUpdate.incidentId, incident!.id));
  for (const [verb, data] of [
    ['edit_translation', {}],
    ['save_translation', { lang_ja: `${text} (ja)` }],
    ['publish_update', {}],
  ] as const) {
    const res = await stack.postTeams(execute(verb, { updateId: update!.id, ...data }, thread));
    expect(res.status).toBe(200);
    invokeBodies.push({ type: 'message', attachments: [{ content: (res.body as { value: unknown }).value }] });
  }
  return { incidentId: incident!.id, number, updateId: update!.id };
}

beforeAll(async () => {
  database = await createTestDatabase();
  stack = await startHostileStack(database);
  // Component names come from COMPONENTS_FILE: the corpus there too, with a Statuspage id each.
  await syncComponents(
    database.db,
    { components: FITTING.map((h, i) => ({ id: `h${i}`, name: stored(h.text), names: { ja: `${stored(h.text)} (ja)` }, statuspage_id: `sp${i}` })), glossary: [] },
    new Date(),
  );
  await addSubscriber(database.db, { kind: 'email', address: 'en@subscriber.example', lang: 'en', timeZone: 'UTC' });
  await addSubscriber(database.db, { kind: 'email', address: 'ja@subscriber.example', lang: 'ja', timeZone: 'Asia/Tokyo' });
  await addSubscriber(database.db, { kind: 'webhook', address: stack.webhooks.url, secret: WEBHOOK_SECRET });
  for (const [i, hostile] of FITTING.entries()) {
    const slack = await throughSlack(hostile.text, `h${i}`);
    const teams = await throughTeams(hostile.text);
    cases.push({ hostile, text: stored(hostile.text), slack, teams });
  }
  await stack.settle();
}, 180_000);

afterAll(async () => {
  await stack?.close();
  await database?.drop();
});

async function get(path: string, headers: Record<string, string> = {}): Promise<string> {
  const res = await fetch(stack.base + path, { headers });
  expect(res.status, path).toBe(200);
  return res.text();
}

describeDb('hostile text through every surface', () => {
  it('is stored as typed (NUL and lone surrogates as U+FFFD) by every flow', async () => {
    for (const c of cases) {
      for (const { incidentId, updateId } of [c.slack, c.teams]) {
        const [incident] = await database.db.select().from(t.incident).where(eq(t.incident.id, incidentId));
        expect(incident!.title, c.hostile.name).toBe(c.text);
        const [update] = await database.db.select().from(t.publicUpdate).where(eq(t.publicUpdate.id, updateId));
        expect(update).toMatchObject({ body: c.text, state: 'published' });
        const [ja] = await database.db.select().from(t.publicUpdateTranslation).where(and(eq(t.publicUpdateTranslation.updateId, updateId), eq(t.publicUpdateTranslation.lang, 'ja')));
        expect(ja!.body, c.hostile.name).toBe(`${c.text} (ja)`);
      }
      const [incident] = await database.db.select().from(t.incident).where(eq(t.incident.id, c.slack.incidentId));
      expect(incident!.summary, c.hostile.name).toBe(c.text);
      const notes = await database.db.select().from(t.timelineEntry).where(eq(t.timelineEntry.incidentId, c.slack.incidentId));
      expect(notes.filter((n) => ['note', 'cause', 'action'].includes(n.kind)).map((n) => n.text)).toEqual([c.text, c.text, c.text]);
    }
    expect(stack.logs.filter((l) => (JSON.parse(l) as { level: number }).level >= 50)).toEqual([]);
  });

  it('Slack: every mrkdwn text escaped (no live mention, broadcast or link), every text still shown, every call within the spec', () => {
    expect(stack.fake.rejected).toEqual([]);
    expect(slackProblems(stack.fake.calls, PUBLIC_URL)).toEqual([]);
    const shown = slackText(stack.fake.calls);
    for (const c of cases) expect(shown, c.hostile.name).toContain(c.text);
    // The announcement in the incidents channel carries titles too.
    expect(stack.fake.callsOf('chat.postMessage').some((a) => a.channel === INCIDENTS_CHANNEL)).toBe(true);
  });

  it('Teams: every card valid against Adaptive Cards 1.5 with only tsuiki’s elements and actions, every text shown as typed', () => {
    expect(stack.connector.problems).toEqual([]);
    const bodies = [...teamsBodies(stack.connector.calls), ...invokeBodies];
    expect(teamsProblems(bodies)).toEqual([]);
    const shown = teamsText(bodies);
    // A TextRun holds one line: the card shows each line of a text as its own run.
    for (const c of cases) for (const line of c.text.split(/\r?\n/).filter(Boolean)) expect(shown, c.hostile.name).toContain(line);
  });

  it('status page HTML: no injected tag or attribute, every text shown', async () => {
    for (const lang of ['en', 'ja']) {
      const pages = ['/status', '/status/history', ...cases.flatMap((c) => [`/status/incidents/${c.slack.incidentId}`, `/status/incidents/${c.teams.incidentId}`])];
      for (const path of pages) {
        const html = await get(`${path}?lang=${lang}`);
        expect(htmlProblems(html, PAGE_TAGS), path).toEqual([]);
      }
      const page = htmlText(await get(`/status/history?lang=${lang}`)) + htmlText(await get(`/status?lang=${lang}`));
      for (const c of cases) {
        const incident = htmlText(await get(`/status/incidents/${c.slack.incidentId}?lang=${lang}`));
        expect(incident, c.hostile.name).toContain(lf(lang === 'ja' ? `${c.text} (ja)` : c.text));
        expect(page, c.hostile.name).toContain(lf(c.text));
      }
    }
    // The unsubscribe page echoes its token into a form field: escaped there too.
    const form = await get(`/status/unsubscribe?token=${encodeURIComponent(FITTING[1]!.text)}`);
    expect(htmlProblems(form, PAGE_TAGS)).toEqual([]);
    expect(htmlAttributeValues(form)).toContain(FITTING[1]!.text);
  });

  it('Atom and RSS: well-formed XML, titles and texts read back by a feed parser', async () => {
    for (const path of ['/status/feed.atom', '/status/feed.rss']) {
      for (const lang of ['en', 'ja']) {
        const xml = await get(`${path}?lang=${lang}`);
        expect(xmlProblems(xml), `${path} ${lang}`).toEqual([]);
        expect(parseFeed(xml).items.length, `${path} ${lang}`).toBeGreaterThan(0);
        // Titles through rss-parser, which reads an Atom title by its type: @rowanmanning/feed-parser
        // decodes entities even in a text title, so a title that literally says "&lt;b&gt;" reads wrong.
        const titles = (await new RssParser().parseString(xml)).items.map((item) => item.title ?? '');
        for (const c of cases) expect(titles.some((title) => folded(title) === folded(xmlText(c.text))), `${c.hostile.name} in ${path}`).toBe(true);
      }
    }
  });

  it('Statuspage-compatible JSON: valid, no raw angle brackets on the wire, exactly the stored strings', async () => {
    const raw = await get('/api/v2/incidents.json');
    expect(raw).not.toMatch(/[<>]/);
    const { incidents } = JSON.parse(raw) as { incidents: { id: string; name: string; incident_updates: { body: string }[] }[] };
    for (const c of cases) {
      const incident = incidents.find((i) => i.id === c.slack.incidentId)!;
      expect(incident.name, c.hostile.name).toBe(c.text);
      expect(incident.incident_updates.map((u) => u.body), c.hostile.name).toContain(c.text);
    }
    const ja = JSON.parse(await get('/api/v2/summary.json?lang=ja')) as { components: { name: string }[] };
    for (const c of cases) expect(ja.components.map((x) => x.name), c.hostile.name).toContain(`${c.text} (ja)`);
  });

  it('email: no header injected, subjects on one line, HTML escaped, text bodies intact', () => {
    const mails = stack.smtp.mails;
    expect(mails.length).toBe(cases.length * 2 * 2);
    const allowed = new Set(['from', 'to', 'subject', 'message-id', 'date', 'mime-version', 'content-type', 'content-transfer-encoding', 'list-unsubscribe', 'list-unsubscribe-post', 'references', 'in-reply-to', 'content-language']);
    for (const mail of mails) {
      expect(mailHeaderNames(mail.raw).filter((h) => !allowed.has(h))).toEqual([]);
      expect(mail.parsed.subject ?? '').not.toMatch(/[\r\n]/);
      expect(htmlProblems(mail.parsed.html || '')).toEqual([]);
    }
    for (const c of cases) {
      for (const lang of ['en', 'ja']) {
        const body = lang === 'ja' ? `${c.text} (ja)` : c.text;
        const mine = mails.filter((m) => m.parsed.messageId?.includes(c.slack.updateId) && (m.parsed.to as { text: string }).text.startsWith(lang));
        expect(mine, `${c.hostile.name} ${lang}`).toHaveLength(1);
        const [mail] = mine;
        expect(folded(mail!.parsed.subject ?? ''), c.hostile.name).toContain(folded(c.text));
        expect(lf(mail!.parsed.text ?? ''), c.hostile.name).toContain(lf(body));
        expect(htmlText(mail!.parsed.html || ''), c.hostile.name).toContain(lf(body));
      }
    }
  });

  it('webhooks: valid JSON, signature verified by standardwebhooks, every text exact', () => {
    expect(stack.webhooks.received.filter((r) => !r.verified)).toEqual([]);
    expect(stack.webhooks.received).toHaveLength(cases.length * 2);
    for (const c of cases) {
      const hit = stack.webhooks.received.find((r) => (r.payload as { data: { update: { id: string } } }).data.update.id === c.slack.updateId)!;
      const { data } = hit.payload as { data: { incident: { title: string }; update: { body: Record<string, string> }; components: { name: string; names: Record<string, string> }[] } };
      expect(data.incident.title, c.hostile.name).toBe(c.text);
      expect(data.update.body, c.hostile.name).toEqual({ en: c.text, ja: `${c.text} (ja)` });
      expect(data.components.map((x) => x.name), c.hostile.name).toEqual([c.text]);
    }
  });

  it('Statuspage requests: valid against the manage API schema, texts exact', () => {
    expect(stack.statuspage.requests.filter((r) => r.problems.length)).toEqual([]);
    for (const c of cases) {
      const created = stack.statuspage.requests.find((r) => r.method === 'POST' && r.body.incident.name === c.text.slice(0, 255));
      expect(created, c.hostile.name).toBeDefined();
      expect(created!.body.incident.body, c.hostile.name).toBe(c.text);
    }
  });

  it('postmortem Markdown: no raw HTML, no disguised link or image, every text still there', async () => {
    for (const c of cases) {
      for (const lang of ['en', 'ja']) {
        const md = await get(`/incidents/${c.slack.number}/postmortem.md?lang=${lang}`);
        expect(markdownProblems(md), `${c.hostile.name} ${lang}`).toEqual([]);
        // Emphasis markers become emphasis (cosmetic); every other character is shown as typed.
        const plain = (s: string) => folded(s.replace(/[*_~]/g, ''));
        expect(plain(markdownText(md)), `${c.hostile.name} ${lang}`).toContain(plain(c.text));
      }
    }
  });

  it('subscribe form: an address carrying CRLF, NUL or markup is refused on a clean page; a real one gets a clean confirmation mail', async () => {
    const mails = stack.smtp.mails.length;
    const hostile = ['a@b.example\r\nBcc: victim@evil.example', 'a@b.example\nX-Injected: 1', 'nul\u0000@b.example', '"><script>x</script>@b.example', '<a@b.example>', 'a@b.example, victim@evil.example'];
    for (const [i, email] of hostile.entries()) {
      const res = await fetch(`${stack.base}/status/subscribe`, { method: 'POST', headers: { 'X-Forwarded-For': `203.0.113.${i + 1}` }, body: new URLSearchParams({ email, lang: 'en' }) });
      expect(res.status, JSON.stringify(email)).toBe(400);
      expect(htmlProblems(await res.text(), PAGE_TAGS)).toEqual([]);
    }
    const badComponent = await fetch(`${stack.base}/status/subscribe`, { method: 'POST', headers: { 'X-Forwarded-For': '203.0.113.50' }, body: new URLSearchParams({ email: 'c@b.example', components: FITTING[0]!.text }) });
    expect(badComponent.status).toBe(400);
    expect(htmlProblems(await badComponent.text(), PAGE_TAGS)).toEqual([]);
    await stack.settle();
    expect(stack.smtp.mails.length).toBe(mails);
    const ok = await fetch(`${stack.base}/status/subscribe`, { method: 'POST', headers: { 'X-Forwarded-For': '203.0.113.99' }, body: new URLSearchParams({ email: 'new.subscriber@b.example', lang: 'ja' }) });
    expect(ok.status).toBe(200);
    await stack.settle();
    const [confirmation] = stack.smtp.mails.slice(mails);
    expect(mailHeaderNames(confirmation!.raw).filter((h) => !['from', 'to', 'subject', 'message-id', 'date', 'mime-version', 'content-type', 'content-transfer-encoding', 'content-language'].includes(h))).toEqual([]);
    expect((confirmation!.parsed.to as { text: string }).text).toBe('new.subscriber@b.example');
  });

  it(`refuses a ${OVERSIZED.name} text everywhere with a clear error, recording nothing of it`, async () => {
    const tooLong = i18n.t('en')('errors.text_too_long', { max: 3000 });
    const channel = (await database.db.select().from(t.chatRef).where(eq(t.chatRef.incidentId, cases[0]!.teams.incidentId)))[0]!;
    const slackChannel = [...stack.fake.channels.values()].at(-1)!;
    const calls = stack.fake.calls.length;
    await slackCommand(`declare ${OVERSIZED.text}`, GENERAL);
    await slackCommand(`update ${OVERSIZED.text}`, slackChannel);
    const answers = JSON.stringify(stack.fake.calls.slice(calls));
    expect(answers).toContain(i18n.t('en')('errors.text_too_long', { max: 200 }));
    expect(answers).not.toContain(OVERSIZED.text.slice(0, 5000));
    const from = stack.connector.calls.length;
    await stack.postTeams(mention(`update ${OVERSIZED.text}`, channel.channelId));
    expect(JSON.stringify(stack.connector.since(from).map((c) => c.body))).toContain(tooLong);
    const saved = await stack.postTeams(execute('save_translation', { updateId: cases[0]!.teams.updateId, lang_en: OVERSIZED.text }, channel.channelId));
    expect(JSON.stringify(saved.body)).not.toContain(OVERSIZED.text.slice(0, 5000));
    const stored = await database.db.select({ id: t.timelineEntry.id }).from(t.timelineEntry).where(like(t.timelineEntry.text, `${OVERSIZED.text.slice(0, 64)}%`));
    expect(stored).toEqual([]);
    const translations = await database.db.select().from(t.publicUpdateTranslation).where(like(t.publicUpdateTranslation.body, `${OVERSIZED.text.slice(0, 64)}%`));
    expect(translations).toEqual([]);
  });
});

/** What XML can carry of a text: XML 1.0 has no place for C0 controls other than tab and line breaks (U+FFFD instead). */
function xmlText(text: string): string {
  return lf(text).replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '\uFFFD');
}

describe('the output checks catch what they look for', () => {
  it('each check reports an unescaped sample of its format', () => {
    expect(slackProblems([{ method: 'chat.postMessage', args: { text: 'hi <!channel> R&D' } }], PUBLIC_URL)).toHaveLength(2);
    expect(slackProblems([{ method: 'chat.postMessage', args: { text: `see <${PUBLIC_URL}/status> &lt;b&gt;` } }], PUBLIC_URL)).toEqual([]);
    const card = { type: 'AdaptiveCard', body: [{ type: 'TextBlock', text: '[x](https://evil.example)' }], actions: [{ type: 'Action.OpenUrl', url: 'https://evil.example' }] };
    expect(teamsProblems([{ type: 'message', attachments: [{ content: card }] }, { type: 'message', text: '**hi**' }])).toHaveLength(4);
    expect(htmlProblems('<p>"><img src=x onerror=alert(1)></p><a href=" javascript:x">y</a>')).toEqual(['<img>', '<img onerror>', '<a href= javascript:x>']);
    expect(htmlProblems('<p>x</p><blink>y</blink>', PAGE_TAGS)).toEqual(['<blink>']);
    expect(xmlProblems('<a>bell\u0007</a>')).toHaveLength(1);
    expect(xmlProblems('<a><b></a>')).toHaveLength(1);
    expect(markdownProblems('x <b>y</b> [click](https://evil.example) ![i](https://evil.example/i.png) <https://evil.example>')).toHaveLength(5);
    expect(markdownProblems('see https://status.example.com and ops@example.com')).toEqual([]);
    expect(mailHeaderNames('Subject: a\r\n b\r\nBcc: x@y\r\n\r\nbody\r\nX-Not: header')).toEqual(['subject', 'bcc']);
  });
});
