import { count } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import * as t from '../../../src/db/schema.ts';
import { createTestDatabase, describeDb, type TestDatabase } from '../../helpers/database.ts';
import { type SlackHarness, startSlackHarness } from '../../helpers/slack/harness.ts';
import { appMentionRequest, slashCommandRequest, viewSubmissionRequest } from '../../helpers/slack/requests.ts';

const TARO = 'U0TARO0001';
const GENERAL = 'C0GENERAL1';

let database: TestDatabase;
let h: SlackHarness;

beforeAll(async () => {
  database = await createTestDatabase();
  h = await startSlackHarness(database, { users: { [TARO]: { locale: 'ja-JP', name: 'Taro' } } });
});

afterAll(async () => {
  await h?.close();
  await database?.drop();
});

const rows = async () => (await database.db.select({ n: count() }).from(t.incident))[0]!.n;
const declare = (text = 'declare Login failures') => slashCommandRequest({ text, userId: TARO, channelId: GENERAL, responseUrl: h.fake.responseUrl('x') });

describeDb('Slack requests: signing, retries, forms, rate limits', () => {
  it('answers a forged signature with 401 and records nothing', async () => {
    const before = h.fake.calls.length;
    const res = await h.send(declare(), {}, { secret: 'not-the-signing-secret' });
    expect(res.status).toBe(401);
    expect(await rows()).toBe(0);
    expect(h.fake.calls.length).toBe(before);
  });

  it('answers a stale timestamp (over five minutes old) with 401 and records nothing', async () => {
    const before = h.fake.calls.length;
    const res = await h.send(declare(), {}, { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 });
    expect(res.status).toBe(401);
    expect(await rows()).toBe(0);
    expect(h.fake.calls.length).toBe(before);
  });

  it('records a retried slash command (same trigger_id, X-Slack-Retry-Num) once', async () => {
    const request = declare('declare Checkout errors');
    await h.send(request);
    await h.send(request, { 'X-Slack-Retry-Num': '1', 'X-Slack-Retry-Reason': 'http_timeout' });
    expect(await rows()).toBe(1);
    expect(h.fake.callsOf('conversations.create')).toHaveLength(1);
  });

  it('records a redelivered event (same event_id) once', async () => {
    const channel = h.fake.callsOf('conversations.create').length ? [...h.fake.channels.values()][0]! : GENERAL;
    const request = appMentionRequest({ text: 'update cache flushed', userId: TARO, channelId: channel, eventId: 'Ev0RETRY0001' });
    await h.send(request);
    await h.send(request, { 'X-Slack-Retry-Num': '1', 'X-Slack-Retry-Reason': 'http_error' });
    const notes = await database.db.select().from(t.timelineEntry);
    expect(notes.filter((n) => n.text === 'cache flushed')).toHaveLength(1);
  });

  it('replies in the user language from users.info, looked up once', async () => {
    await h.send(declare('help'));
    const help = h.fake.callsOf('response_url').at(-1)!;
    expect(JSON.stringify(help)).toMatch(/[ぁ-んァ-ン]/);
    expect(h.fake.callsOf('users.info')).toHaveLength(1);
  });

  it('opens the declare form for declare without text', async () => {
    const request = declare('declare');
    await h.send(request);
    const open = h.fake.callsOf('views.open').at(-1)!;
    expect(open.trigger_id).toBe(request.triggerId);
    const view = open.view as { callback_id: string; blocks: { block_id?: string }[] };
    expect(view.callback_id).toBe('declare_incident');
    expect(view.blocks.map((b) => b.block_id)).toEqual(['title', 'severity', 'components', 'summary', 'visibility']);
  });

  it('shows field errors in the modal for an invalid form and declares nothing', async () => {
    const before = await rows();
    const res = await h.send(
      viewSubmissionRequest({
        callbackId: 'declare_incident',
        privateMetadata: JSON.stringify({ channelId: GENERAL, lang: 'en' }),
        userId: TARO,
        values: {
          title: { value: { type: 'plain_text_input', value: '   ' } },
          components: { value: { type: 'plain_text_input', value: 'API Gateway!' } },
        },
      }),
    );
    expect(res.status).toBe(200);
    const body = JSON.parse(res.body) as { response_action: string; errors: Record<string, string> };
    expect(body.response_action).toBe('errors');
    expect(Object.keys(body.errors).sort()).toEqual(['components', 'title']);
    expect(await rows()).toBe(before);
  });

  it('declares from a valid form with its severity, components, summary and visibility', async () => {
    const res = await h.send(
      viewSubmissionRequest({
        callbackId: 'declare_incident',
        privateMetadata: JSON.stringify({ channelId: GENERAL, lang: 'en' }),
        userId: TARO,
        values: {
          title: { value: { type: 'plain_text_input', value: 'Webhooks delayed' } },
          severity: { value: { type: 'static_select', selected_option: { value: 'SEV1' } } },
          components: { value: { type: 'plain_text_input', value: 'webhooks, api' } },
          summary: { value: { type: 'plain_text_input', value: 'Deliveries lag 10 minutes' } },
          visibility: { value: { type: 'radio_buttons', selected_option: { value: 'private' } } },
        },
      }),
    );
    expect(res.body).toBe('');
    const all = await database.db.select().from(t.incident);
    expect(all.find((i) => i.title === 'Webhooks delayed')).toMatchObject({ severity: 'SEV1', visibility: 'private', summary: 'Deliveries lag 10 minutes' });
  });

  it('waits out a 429 Retry-After for one call while other incidents go on', async () => {
    const channels = [...h.fake.channels.values()];
    const [a, b] = [channels[0]!, channels[1]!];
    h.fake.rateLimitOnce('chat.postMessage', 1, (args) => args.channel === a);
    const first = h.send(appMentionRequest({ text: 'update slow lane', userId: TARO, channelId: a, eventId: 'Ev0RATE0001' }));
    // Once the first incident's reply is rate limited, the second incident's command comes in.
    while (!h.fake.methods().includes('chat.postMessage (429)')) await new Promise((r) => setTimeout(r, 10));
    await h.send(appMentionRequest({ text: 'update fast lane', userId: TARO, channelId: b, eventId: 'Ev0RATE0002' }));
    await first;
    const order = h.fake.calls.map((c) => `${c.method}:${String(c.args.channel)}`);
    const limited = order.indexOf(`chat.postMessage (429):${a}`);
    const retried = order.lastIndexOf(`chat.postMessage:${a}`);
    expect(limited).toBeGreaterThanOrEqual(0);
    expect(retried).toBeGreaterThan(limited);
    // The other incident's reply went out while the first waited.
    const other = order.lastIndexOf(`chat.postMessage:${b}`);
    expect(other).toBeGreaterThan(limited);
    expect(other).toBeLessThan(retried);
  });

  it('made only calls the Web API spec allows', () => {
    expect(h.fake.rejected).toEqual([]);
  });
});
