import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import * as t from '../../../src/db/schema.ts';
import { MINUTE } from '../../app/helpers.ts';
import { createTestDatabase, describeDb, type TestDatabase } from '../../helpers/database.ts';
import type { StoredMessage } from '../../helpers/slack/fake-slack.ts';
import { INCIDENTS_CHANNEL, PUBLIC_URL, type SlackHarness, startSlackHarness } from '../../helpers/slack/harness.ts';
import { buttonRequest, slashCommandRequest, viewSubmissionRequest } from '../../helpers/slack/requests.ts';

const TARO = 'U0TARO0001';
const HANAKO = 'U0HANAKO01';
const GENERAL = 'C0GENERAL1';

let database: TestDatabase;
let h: SlackHarness;

beforeAll(async () => {
  database = await createTestDatabase();
  h = await startSlackHarness(database, {
    users: { [TARO]: { locale: 'en-US', name: 'Taro' }, [HANAKO]: { locale: 'ja-JP', name: 'Hanako' } },
    takenNames: ['inc-1-api-errors-in-eu'],
  });
});

afterAll(async () => {
  await h?.close();
  await database?.drop();
});

function blockText(message: { blocks: Record<string, unknown>[] }): string {
  return JSON.stringify(message.blocks);
}

async function command(text: string, userId = TARO, channelId = GENERAL) {
  const request = slashCommandRequest({ text, userId, channelId, responseUrl: h.fake.responseUrl('cmd') });
  const res = await h.send(request);
  expect(res.status).toBe(200);
  return request.triggerId;
}

function lastMessageIn(channel: string): StoredMessage {
  const all = [...h.fake.messages.values()].filter((m) => m.channel === channel);
  return all.at(-1)!;
}

describeDb('Slack: a whole incident through Bolt', () => {
  let channel: string;
  let incidentId: string;

  it('declares: a channel with a unique name, invitation, topic, bookmark, pinned header, announcement', async () => {
    const res = await h.send(slashCommandRequest({ text: 'declare API errors in EU --sev 2 --components api', userId: TARO, channelId: GENERAL, responseUrl: h.fake.responseUrl('d') }));
    expect(res.status).toBe(200);
    expect(res.body).toBe('');
    const creates = h.fake.callsOf('conversations.create').map((a) => a.name);
    expect(creates).toEqual(['inc-1-api-errors-in-eu', 'inc-1-api-errors-in-eu-2']);
    channel = h.fake.channels.get('inc-1-api-errors-in-eu-2')!;
    const [incident] = await database.db.select().from(t.incident);
    incidentId = incident!.id;
    expect(incident).toMatchObject({ number: 1, title: 'API errors in EU', severity: 'SEV2' });
    expect(h.fake.callsOf('conversations.invite')).toEqual([{ channel, users: TARO }]);
    expect(h.fake.callsOf('conversations.setTopic')[0]).toMatchObject({ channel, topic: 'INC-1 API errors in EU' });
    expect(h.fake.callsOf('bookmarks.add')).toEqual([{ channel_id: channel, type: 'link', title: 'Status page', link: `${PUBLIC_URL}/status/incidents/${incidentId}` }]);
    expect(h.fake.pins).toHaveLength(1);
    expect(h.fake.pins[0]!.channel).toBe(channel);
    const announced = h.fake.callsOf('chat.postMessage').find((a) => a.channel === INCIDENTS_CHANNEL);
    expect(String(announced?.text)).toContain('INC-1');
    const [ref] = await database.db.select().from(t.chatRef).where(eq(t.chatRef.incidentId, incidentId));
    expect(ref).toMatchObject({ platform: 'slack', channelId: channel, headerMessageId: h.fake.pins[0]!.timestamp });
    expect(h.fake.rejected).toEqual([]);
  });

  it('records updates in the incident channel, one back-dated, replying in the channel', async () => {
    h.clock.advance(10 * MINUTE);
    await command('update Error rate 30% on <!channel> & <@U0EVIL>', TARO, channel);
    await command('update at 00:05 first alert fired', TARO, channel);
    const notes = await database.db.select().from(t.timelineEntry).where(eq(t.timelineEntry.kind, 'note'));
    expect(notes).toHaveLength(2);
    const backdated = notes.find((n) => n.text === 'first alert fired')!;
    expect(backdated.occurredAt.toISOString()).toBe('2026-02-26T15:05:00.000Z');
    const posted = h.fake.callsOf('chat.postMessage').filter((a) => a.channel === channel);
    expect(posted.length).toBeGreaterThanOrEqual(2);
    expect(h.fake.rejected).toEqual([]);
  });

  it('changes status and replies to a Japanese user in Japanese', async () => {
    h.clock.advance(5 * MINUTE);
    await command('status identified', HANAKO, channel);
    const [incident] = await database.db.select().from(t.incident).where(eq(t.incident.id, incidentId));
    expect(incident!.status).toBe('identified');
    const reply = h.fake.callsOf('chat.postMessage').filter((a) => a.channel === channel).at(-1)!;
    expect(String(reply.text)).toMatch(/原因特定|特定/);
  });

  it('publishes through the preview: Edit translation form, then Publish once even when pressed twice', async () => {
    h.clock.advance(5 * MINUTE);
    await command('publish We identified the cause and are deploying a fix.', TARO, channel);
    const [update] = await database.db.select().from(t.publicUpdate).where(eq(t.publicUpdate.incidentId, incidentId));
    expect(update!.state).toBe('draft');
    const preview = [...h.fake.messages.values()].find((m) => m.channel === channel && blockText(m).includes('publish_update'))!;
    expect(blockText(preview)).toContain('edit_translation');

    await h.send(buttonRequest({ actionId: 'edit_translation', value: update!.id, userId: TARO, channelId: channel, messageTs: preview.ts, responseUrl: h.fake.responseUrl('b1') }));
    const [open] = h.fake.callsOf('views.open');
    const view = open!.view as { callback_id: string; private_metadata: string; blocks: { block_id?: string }[] };
    expect(view.callback_id).toBe('edit_translation');
    expect(view.blocks.map((b) => b.block_id).filter(Boolean)).toEqual(['lang:en', 'lang:ja']);

    await h.send(
      viewSubmissionRequest({
        callbackId: 'edit_translation',
        privateMetadata: view.private_metadata,
        userId: HANAKO,
        values: {
          'lang:en': { value: { type: 'plain_text_input', value: 'We identified the cause and are deploying a fix.' } },
          'lang:ja': { value: { type: 'plain_text_input', value: '原因を特定し、修正を展開しています。' } },
        },
      }),
    );
    const translations = await database.db.select().from(t.publicUpdateTranslation).where(eq(t.publicUpdateTranslation.updateId, update!.id));
    expect(translations.find((tr) => tr.lang === 'ja')).toMatchObject({ body: '原因を特定し、修正を展開しています。', origin: 'human' });

    const press = () => h.send(buttonRequest({ actionId: 'publish_update', value: update!.id, userId: TARO, channelId: channel, messageTs: preview.ts, responseUrl: h.fake.responseUrl('b2') }));
    await Promise.all([press(), press()]);
    const [published] = await database.db.select().from(t.publicUpdate).where(eq(t.publicUpdate.id, update!.id));
    expect(published!.state).toBe('published');
    const entries = await database.db.select().from(t.timelineEntry).where(eq(t.timelineEntry.kind, 'public_update'));
    expect(entries).toHaveLength(1);
    // The pressed preview is replaced in place: no buttons left.
    const replaced = h.fake.messages.get(`${channel}/${preview.ts}`)!;
    expect(blockText(replaced)).not.toContain('publish_update');
    expect(h.fake.rejected).toEqual([]);
  });

  it('closes; the pinned header was edited in place and shows the final state', async () => {
    h.clock.advance(30 * MINUTE);
    await command('close Fixed and verified.', TARO, channel);
    const [incident] = await database.db.select().from(t.incident).where(eq(t.incident.id, incidentId));
    expect(['resolved', 'closed']).toContain(incident!.status);
    const headerTs = h.fake.pins[0]!.timestamp;
    expect(h.fake.pins).toHaveLength(1);
    const updates = h.fake.callsOf('chat.update').filter((a) => a.ts === headerTs);
    expect(updates.length).toBeGreaterThanOrEqual(5);
    const header = h.fake.messages.get(`${channel}/${headerTs}`)!;
    expect(header.text).toContain('INC-1');
    const text = blockText(header);
    expect(text).toMatch(/Resolved|Closed/);
    expect(text).toContain('SEV2');
    expect(text).toContain('We identified the cause');
    expect(h.fake.rejected).toEqual([]);
  });

  it('escapes user text so <!channel> and <@U…> never notify anyone', async () => {
    await command('timeline', TARO, channel);
    const timeline = h.fake.callsOf('response_url').at(-1)!;
    expect(timeline.response_type).toBe('ephemeral');
    const all = JSON.stringify(h.fake.calls);
    expect(all).not.toContain('<!channel>');
    expect(all).not.toContain('<@U0EVIL>');
    // Decoded at the edge into what was typed (`@channel`, `@U0EVIL`: no such user), escaped again on the way out.
    expect(all).toContain('@channel &amp; @U0EVIL');
  });
});
