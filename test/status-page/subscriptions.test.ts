import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { syncComponents } from '../../src/app/components.ts';
import { ManualClock } from '../../src/core/clock.ts';
import * as t from '../../src/db/schema.ts';
import { createEmailChannel } from '../../src/publish/email.ts';
import type { EmailSubscriber } from '../../src/status-page/subscriptions.ts';
import { T0, testI18n } from '../app/helpers.ts';
import { createTestDatabase, describeDb, type TestDatabase } from '../helpers/database.ts';
import { startSmtpSink } from '../helpers/smtp-sink.ts';
import { startStatusPage } from './helpers.ts';

let database: TestDatabase;
let server: Awaited<ReturnType<typeof startStatusPage>>;
const sent: { subscriber: EmailSubscriber; url: string }[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  await syncComponents(database.db, { components: [{ id: 'api', name: 'REST API', names: {} }, { id: 'sms', name: 'SMS', names: {} }], glossary: [] }, T0);
  server = await startStatusPage(database.db, new ManualClock(T0), {
    // As behind one reverse proxy: the tests name each client in X-Forwarded-For.
    trustProxyHops: 1,
    sendConfirmation: async (subscriber, url) => {
      sent.push({ subscriber, url });
    },
  });
});

afterAll(async () => {
  await server?.close();
  await database.drop();
});

let ip = 0;
/** Each call comes from its own client address unless one is given, so per-client limits do not couple tests. */
function post(path: string, fields: [string, string][], client = `10.0.0.${++ip}`) {
  return fetch(server.base + path, { method: 'POST', body: new URLSearchParams(fields), headers: { 'X-Forwarded-For': client } });
}

async function row(address: string) {
  const [r] = await database.db.select().from(t.subscriber).where(eq(t.subscriber.address, address));
  return r;
}

describeDb('email subscription', () => {
  it('writes an unconfirmed subscriber with language, zone and component filter, and mails a confirmation link', async () => {
    const res = await post('/status/subscribe?lang=ja', [['email', 'Yuki@Example.JP'], ['lang', 'ja'], ['time_zone', 'Asia/Tokyo'], ['components', 'api'], ['components', 'sms']]);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('メールをご確認ください');
    expect(await row('yuki@example.jp')).toMatchObject({ kind: 'email', lang: 'ja', timeZone: 'Asia/Tokyo', components: ['api', 'sms'], confirmed: false });
    const mail = sent.at(-1)!;
    expect(mail.subscriber.address).toBe('yuki@example.jp');
    expect(mail.url).toMatch(/^http:\/\/status\.example\.test\/status\/subscribe\/confirm\?token=[\w-]+&lang=ja$/);
  });

  it('confirms with the mailed token once; the token is then spent', async () => {
    await post('/status/subscribe', [['email', 'ann@example.com'], ['lang', 'en'], ['time_zone', 'Europe/London']]);
    const { url } = sent.at(-1)!;
    const path = url.replace('http://status.example.test', '');
    const ok = await fetch(server.base + path);
    expect(ok.status).toBe(200);
    expect((await row('ann@example.com'))?.confirmed).toBe(true);
    expect((await fetch(server.base + path)).status).toBe(404);
  });

  it('never changes a confirmed subscription from the form, and answers the same', async () => {
    await post('/status/subscribe', [['email', 'bob@example.com'], ['lang', 'en']]);
    await fetch(server.base + sent.at(-1)!.url.replace('http://status.example.test', ''));
    const count = sent.length;
    const res = await post('/status/subscribe', [['email', 'bob@example.com'], ['lang', 'ja']]);
    expect(res.status).toBe(200);
    expect(sent.length).toBe(count);
    expect(await row('bob@example.com')).toMatchObject({ lang: 'en', confirmed: true });
  });

  it('unsubscribes with the token (RFC 8058 one-click posts it in the query)', async () => {
    const before = await row('bob@example.com');
    const res = await fetch(`${server.base}/status/unsubscribe?token=${before!.unsubscribeToken}`, { method: 'POST', body: new URLSearchParams([['List-Unsubscribe', 'One-Click']]) });
    expect(res.status).toBe(200);
    expect((await row('bob@example.com'))?.confirmed).toBe(false);
    expect((await post('/status/unsubscribe', [['token', 'nope']])).status).toBe(404);
  });

  const invalid: [string, [string, string][], string][] = [
    ['a bad address', [['email', 'not-an-address']], 'Please enter a valid email address.'],
    ['an unknown zone', [['email', 'x@example.com'], ['time_zone', 'Mars/Olympus']], 'Please enter a time zone'],
    ['an unknown component', [['email', 'x@example.com'], ['components', 'nope']], 'Please choose components'],
    ['an unknown language', [['email', 'x@example.com'], ['lang', 'fr']], 'Please choose one of the listed languages.'],
  ];
  it.each(invalid)('refuses %s with 400', async (_name, fields, message) => {
    const res = await post('/status/subscribe?lang=en', fields);
    expect(res.status).toBe(400);
    expect(await res.text()).toContain(message);
  });

  it('limits attempts per address and per client', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await post('/status/subscribe', [['email', 'flood@example.com']])).status);
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    const fromOne: number[] = [];
    for (let i = 0; i < 12; i++) fromOne.push((await post('/status/subscribe', [['email', `user${i}@example.com`]], '192.0.2.7')).status);
    expect(fromOne.slice(0, 10).every((s) => s === 200)).toBe(true);
    expect(fromOne.slice(10)).toEqual([429, 429]);
  });

  it('believes X-Forwarded-For only from trusted proxies', async () => {
    const direct = await startStatusPage(database.db, new ManualClock(T0), { sendConfirmation: async () => {} });
    try {
      // No proxy trusted: a client naming a new address each time is still one client (the socket's).
      const statuses: number[] = [];
      for (let i = 0; i < 12; i++) {
        const res = await fetch(`${direct.base}/status/subscribe`, {
          method: 'POST',
          body: new URLSearchParams([['email', `spoof${i}@example.com`]]),
          headers: { 'X-Forwarded-For': `198.51.100.${i + 1}` },
        });
        statuses.push(res.status);
      }
      expect(statuses.slice(0, 10).every((s) => s === 200)).toBe(true);
      expect(statuses.slice(10)).toEqual([429, 429]);
    } finally {
      await direct.close();
    }
    // One proxy trusted: the entry it appended counts, not what the client wrote before it.
    const spoofed: number[] = [];
    for (let i = 0; i < 12; i++) spoofed.push((await post('/status/subscribe', [['email', `chain${i}@example.com`]], `10.9.9.${i}, 192.0.2.99`)).status);
    expect(spoofed.slice(10)).toEqual([429, 429]);
  });

  it('escapes the token on the unsubscribe page', async () => {
    const res = await fetch(`${server.base}/status/unsubscribe?token=${encodeURIComponent('"><script>x</script>')}`);
    const html = await res.text();
    expect(html).not.toContain('<script>x');
    expect(html).toContain('value="&quot;&gt;&lt;script&gt;x&lt;/script&gt;"');
  });
});

describeDb('confirmation mail over SMTP', () => {
  it('sends a text and HTML mail in the subscriber\'s language with the link', async () => {
    const sink = await startSmtpSink();
    try {
      const email = createEmailChannel({ smtpUrl: sink.url, from: 'status@example.test', publicUrl: 'http://status.example.test', i18n: testI18n(), maxConnections: 1 });
      await email.sendConfirmation({ address: 'yuki@example.jp', lang: 'ja' }, 'http://status.example.test/status/subscribe/confirm?token=abc&lang=ja');
      await email.close?.();
      const mail = sink.mails[0]!;
      expect(mail.subject).toBe('ステータス更新の購読確認');
      expect(mail.text).toContain('http://status.example.test/status/subscribe/confirm?token=abc&lang=ja');
      // `&` in the link is escaped in the HTML (as &amp; or &#38;: the same character).
      expect(mail.html).toMatch(/href="http:\/\/status\.example\.test\/status\/subscribe\/confirm\?token=abc&(amp|#38);lang=ja"/);
    } finally {
      await sink.close();
    }
  });
});
