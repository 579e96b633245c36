import { describe, expect, it } from 'vitest';
import { renderChatUpdate } from '../../src/publish/announce.ts';
import type { PublishedUpdate, Recipient } from '../../src/publish/channel.ts';
import { renderUpdateMail } from '../../src/publish/email.ts';
import { statuspageIncident } from '../../src/publish/statuspage.ts';
import { webhookPayload } from '../../src/publish/webhook.ts';
import { testI18n } from '../app/helpers.ts';

const update = (bodies: Record<string, string>): PublishedUpdate => ({
  id: '00000000-0000-4000-8000-000000000001',
  incidentId: '00000000-0000-4000-8000-000000000002',
  incidentNumber: 7,
  incidentTitle: 'API errors',
  status: 'investigating',
  publishedAt: new Date('2026-02-26T15:20:00Z'),
  sourceLang: 'en',
  bodies,
  components: [],
  firstUpdateId: '00000000-0000-4000-8000-000000000001',
});
const tanaka: Recipient = { id: 'r1', kind: 'email', address: 'tanaka@example.jp', lang: 'ja', timeZone: 'Asia/Tokyo', secret: null, unsubscribeToken: 't' };
const settings = { from: 'Status <status@example.com>', publicUrl: 'https://status.example.com', i18n: testI18n() };

describe('rendering an update a reader’s language is still missing', () => {
  it('puts the source text under the notice in chat, and titles the follow-up as a translation', () => {
    const untranslated = renderChatUpdate(update({ en: 'Calls fail.' }), testI18n(), 'ja', 'Asia/Tokyo');
    expect(untranslated.lines).toEqual(['2/27 0:20 (JST) 追記', '原文（英語）: 翻訳は追ってお送りします。', 'Calls fail.']);
    const followUp = renderChatUpdate(update({ en: 'Calls fail.', ja: '通話が失敗しています。' }), testI18n(), 'ja', 'Asia/Tokyo', { lang: 'ja' });
    expect(followUp.title).toBe('INC-7 API errors: 調査中（翻訳）');
    expect(followUp.lines).toEqual(['2/27 0:20 (JST) 追記', '先に原文（英語）でお送りした更新の翻訳です。', '通話が失敗しています。']);
  });

  it('says so in English too', () => {
    const message = renderChatUpdate({ ...update({ ja: '通話が失敗しています。' }), sourceLang: 'ja' }, testI18n(), 'en', 'UTC');
    expect(message.lines?.[1]).toBe('Original text (Japanese); the translation follows.');
  });

  it('sends the translation mail as a reply to the first, under its own Message-ID', () => {
    const first = renderUpdateMail(update({ en: 'Calls fail.' }), tanaka, settings);
    const reply = renderUpdateMail(update({ en: 'Calls fail.', ja: '通話が失敗しています。' }), tanaka, settings, { lang: 'ja' });
    expect(reply.messageId).not.toBe(first.messageId);
    expect(reply.headers['In-Reply-To']).toBe(first.messageId);
    expect(reply.headers.References).toContain(first.messageId);
    expect(reply.subject).toBe(`${first.subject}（翻訳）`);
  });

  it('marks a webhook follow-up update.translated with the language that arrived', () => {
    const payload = webhookPayload(update({ en: 'Calls fail.', ja: '通話が失敗しています。' }), 'https://status.example.com', { lang: 'ja' });
    expect(payload.type).toBe('update.translated');
    expect(payload.data.update.translated_lang).toBe('ja');
    expect(webhookPayload(update({ en: 'Calls fail.' }), 'https://status.example.com').type).toBe('incident.updated');
  });

  it('puts the notice above the source text sent to a Statuspage page of another language', () => {
    const notice = (source: string) => `原文（${source}）: 翻訳は追ってお送りします。`;
    expect(statuspageIncident(update({ en: 'Calls fail.' }), 'ja', false, notice).body).toBe('原文（en）: 翻訳は追ってお送りします。\n\nCalls fail.');
    expect(statuspageIncident(update({ en: 'Calls fail.', ja: '通話が失敗しています。' }), 'ja', false, notice).body).toBe('通話が失敗しています。');
  });
});
