import { createHmac, generateKeyPairSync, randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, expect, it, vi } from 'vitest';
import { addNote } from '../../src/app/add-note.ts';
import { closeIncident } from '../../src/app/close-incident.ts';
import * as t from '../../src/db/schema.ts';
import { declare, metaOf, person } from '../app/helpers.ts';
import { createTestDatabase, describeDb, type TestDatabase } from '../helpers/database.ts';
import { SIGNING_SECRET } from '../helpers/slack/harness.ts';
import { appMentionRequest, buttonRequest, type SlackRequest, signatureHeaders, slashCommandRequest, viewSubmissionRequest } from '../helpers/slack/requests.ts';
import { ChannelTokenIssuer } from '../helpers/teams/bot-auth.ts';
import { recorded } from '../helpers/teams/harness.ts';
import { addSubscriber } from '../publish/helpers.ts';
import { countAllTables } from './support/fuzz-invariants.ts';
import { ADMIN_TOKEN, type HostileStack, startHostileStack, TEAMS_APP_ID } from './support/hostile-stack.ts';

/**
 * Requests that must be refused: forged or stale Slack signatures, Teams activities without
 * a valid channel token, admin URLs without the admin token, unsubscribe links with a forged
 * token. Each is refused with 401/403/404, and nothing is recorded anywhere: every table's
 * row count, every fake's calls and every mail are compared before and after. A valid request
 * of each kind goes through, so the refusals are not a harness that refuses everything.
 */

const AIKO = 'U0AIKO0001';
const GENERAL = 'C0GENERAL1';
const SECRET_NOTE = 'db-primary password rotated to hunter2';

let database: TestDatabase;
let issuer: ChannelTokenIssuer;
let stack: HostileStack;
let privateNumber = 0;
let publicNumber = 0;

beforeAll(async () => {
  database = await createTestDatabase();
  issuer = await new ChannelTokenIssuer().start();
  stack = await startHostileStack(database, { teamsIssuer: issuer });
  const aiko = person('Aiko');
  const secret = await declare(stack.runtime.app, aiko, { title: 'Secret breach', visibility: 'private' });
  await addNote(stack.runtime.app, metaOf(aiko, { inIncidentChannel: true }), secret.incidentId, { text: SECRET_NOTE });
  await closeIncident(stack.runtime.app, metaOf(aiko, { inIncidentChannel: true }), secret.incidentId, {});
  privateNumber = secret.number;
  const open = await declare(stack.runtime.app, aiko, { title: 'Public outage' });
  await closeIncident(stack.runtime.app, metaOf(aiko, { inIncidentChannel: true }), open.incidentId, {});
  publicNumber = open.number;
});

afterAll(async () => {
  await stack?.close();
  await issuer?.stop();
  await database?.drop();
});

/** Everything a request could have changed: every table, every call to a fake, every mail. */
async function everything() {
  return {
    tables: await countAllTables(database.db),
    slackCalls: stack.fake.calls.length,
    connectorCalls: stack.connector.calls.length,
    mails: stack.smtp.mails.length,
    webhooks: stack.webhooks.received.length,
  };
}

let before: Awaited<ReturnType<typeof everything>>;
beforeEach(async () => {
  before = await everything();
});

async function expectNothingRecorded(): Promise<void> {
  // Anything a refused request had set going would show up here, late or not.
  await stack.settle();
  expect(await everything()).toEqual(before);
}

const slackRequests: Record<string, () => SlackRequest> = {
  'slash command': () => slashCommandRequest({ text: 'declare Forged outage', userId: AIKO, channelId: GENERAL, responseUrl: stack.fake.responseUrl('forged') }),
  'declare form': () =>
    viewSubmissionRequest({
      callbackId: 'declare_incident',
      privateMetadata: JSON.stringify({ channelId: GENERAL, lang: 'en' }),
      userId: AIKO,
      values: { title: { value: { type: 'plain_text_input', value: 'Forged outage' } } },
    }),
  'button press': () => buttonRequest({ actionId: 'publish_update', value: randomUUID(), userId: AIKO, channelId: GENERAL, messageTs: '1772000000.000001', responseUrl: stack.fake.responseUrl('forged') }),
  'app mention event': () => appMentionRequest({ text: 'declare Forged outage', userId: AIKO, channelId: GENERAL, eventId: `Ev${randomUUID().slice(0, 8)}` }),
};

const now = () => Math.floor(Date.now() / 1000);
const sign = (body: string, timestamp: number, secret = SIGNING_SECRET) => `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;

/** Ways a request can fail Slack's signing check: the headers to send for a body. */
const forgeries: Record<string, (body: string) => Record<string, string>> = {
  'signed with another secret': (body) => signatureHeaders(body, 'not-the-signing-secret'),
  'timestamp six minutes old (correctly signed)': (body) => signatureHeaders(body, SIGNING_SECRET, now() - 6 * 60),
  'no signature header': (body) => ({ 'X-Slack-Request-Timestamp': String(now()), 'X-Slack-Signature-Missing': sign(body, now()) }),
  'no timestamp header': (body) => ({ 'X-Slack-Signature': sign(body, now()) }),
  'no headers at all': () => ({}),
  'signature of another body (replay with a different signature)': () => signatureHeaders('command=%2Fincident&text=list', SIGNING_SECRET),
  'valid signature, timestamp header changed': (body) => ({ 'X-Slack-Request-Timestamp': String(now() + 1), 'X-Slack-Signature': sign(body, now()) }),
  'signature in another version': (body) => ({ 'X-Slack-Request-Timestamp': String(now()), 'X-Slack-Signature': sign(body, now()).replace('v0=', 'v1=') }),
  'signature not hex': () => ({ 'X-Slack-Request-Timestamp': String(now()), 'X-Slack-Signature': `v0=${'zz'.repeat(32)}` }),
};

async function postSlack(request: SlackRequest, headers: Record<string, string>) {
  const res = await fetch(`${stack.base}/slack/events`, { method: 'POST', headers: { 'Content-Type': request.contentType, ...headers }, body: request.body });
  const body = await res.text();
  await stack.slack.context.inbox.drain();
  return { status: res.status, body };
}

describeDb('rejected: Slack requests that fail the signing check', () => {
  for (const [kind, request] of Object.entries(slackRequests)) {
    for (const [forgery, headers] of Object.entries(forgeries)) {
      it(`${kind}, ${forgery}: 401, nothing recorded`, async () => {
        const req = request();
        const res = await postSlack(req, headers(req.body));
        expect(res.status).toBe(401);
        await expectNothingRecorded();
      });
    }
  }

  it('a body changed after signing: 401, nothing recorded', async () => {
    const req = slackRequests['slash command']!();
    const headers = signatureHeaders(req.body, SIGNING_SECRET);
    const res = await postSlack({ ...req, body: req.body.replace('Forged', 'Forgex') }, headers);
    expect(res.status).toBe(401);
    await expectNothingRecorded();
  });

  it('the same request correctly signed is accepted and recorded (control)', async () => {
    const req = slackRequests['slash command']!();
    const res = await postSlack(req, signatureHeaders(req.body, SIGNING_SECRET));
    expect(res.status).toBe(200);
    const after = await everything();
    expect(after.tables.incident).toBe(before.tables.incident! + 1);
    expect(after.slackCalls).toBeGreaterThan(before.slackCalls);
    await stack.settle();
  });
});

/** A personal-chat `list` from the recorded activity, as the Bot Framework service posts it. */
function teamsActivity(text = 'declare Forged outage') {
  const activity = recorded('vercel-chat-replay/dm_teams.json', '/dmMessage');
  activity.serviceUrl = stack.connector.url;
  activity.text = text;
  activity.id = randomUUID();
  return activity;
}

const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
const unsigned = (claims: Record<string, unknown>) => {
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  return `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`;
};

/** Authorization headers that must not open /api/messages, for an activity's serviceUrl. */
const teamsForgeries: Record<string, (serviceUrl: string) => Record<string, string>> = {
  'no token': () => ({}),
  'token signed by a key the issuer never published': (url) => ({ Authorization: `Bearer ${issuer.token(TEAMS_APP_ID, url, stranger)}` }),
  'token for another bot (wrong audience)': (url) => ({ Authorization: `Bearer ${issuer.token('99999999-8888-7777-6666-555555555555', url)}` }),
  'expired token': (url) => ({ Authorization: `Bearer ${issuer.token(TEAMS_APP_ID, url, undefined, { iat: now() - 7200, nbf: now() - 7200, exp: now() - 3600 })}` }),
  'token not yet valid': (url) => ({ Authorization: `Bearer ${issuer.token(TEAMS_APP_ID, url, undefined, { nbf: now() + 3600, iat: now() + 3600, exp: now() + 7200 })}` }),
  'token from another issuer': (url) => ({ Authorization: `Bearer ${issuer.token(TEAMS_APP_ID, url, undefined, { iss: 'https://sts.windows.net/evil/' })}` }),
  'token for another serviceUrl': () => ({ Authorization: `Bearer ${issuer.token(TEAMS_APP_ID, 'https://evil.example/')}` }),
  'unsigned token (alg none)': (url) => ({ Authorization: `Bearer ${unsigned({ iss: 'https://api.botframework.com', aud: TEAMS_APP_ID, serviceurl: url, exp: now() + 3600 })}` }),
  'garbage bearer': () => ({ Authorization: 'Bearer not-a-jwt' }),
  'basic credentials': () => ({ Authorization: `Basic ${Buffer.from(`${TEAMS_APP_ID}:not-used`).toString('base64')}` }),
};

describeDb('rejected: Teams activities without a valid channel token (MicrosoftAppId set)', () => {
  // botbuilder prints every refused token with console.error; the status codes are what is checked.
  beforeAll(() => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
  });
  afterAll(() => {
    vi.restoreAllMocks();
  });

  for (const [forgery, headers] of Object.entries(teamsForgeries)) {
    it(`${forgery}: 401/403, nothing recorded, nothing sent`, async () => {
      const activity = teamsActivity();
      const res = await stack.postTeams(activity, headers(String(activity.serviceUrl)));
      expect([401, 403]).toContain(res.status);
      await expectNothingRecorded();
    });
  }

  it('an Action.Execute press with a forged token: 401/403, nothing recorded', async () => {
    const base = teamsActivity('');
    const press = { type: 'invoke', name: 'adaptiveCard/action', id: randomUUID(), channelId: 'msteams', serviceUrl: base.serviceUrl, from: base.from, recipient: base.recipient, conversation: base.conversation, value: { action: { type: 'Action.Execute', verb: 'declare_form', data: { title: 'Forged outage' } } } };
    const res = await stack.postTeams(press, teamsForgeries['token signed by a key the issuer never published']!(String(base.serviceUrl)));
    expect([401, 403]).toContain(res.status);
    await expectNothingRecorded();
  });

  it('a valid channel token is accepted and the command recorded (control)', async () => {
    const activity = teamsActivity();
    const res = await stack.postTeams(activity, { Authorization: `Bearer ${issuer.token(TEAMS_APP_ID, String(activity.serviceUrl))}` });
    expect(res.status).toBe(200);
    await stack.settle();
    const after = await everything();
    expect(after.tables.incident).toBe(before.tables.incident! + 1);
    expect(after.connectorCalls).toBeGreaterThan(before.connectorCalls);
  });
});

/** Authorization headers that are not the admin token. */
const wrongTokens: Record<string, Record<string, string>> = {
  'no token': {},
  'a wrong token': { Authorization: 'Bearer not-the-admin-token' },
  'the token with one character changed': { Authorization: `Bearer ${ADMIN_TOKEN.slice(0, -1)}X` },
  'a prefix of the token': { Authorization: `Bearer ${ADMIN_TOKEN.slice(0, 8)}` },
  'the token as Basic credentials': { Authorization: `Basic ${Buffer.from(`admin:${ADMIN_TOKEN}`).toString('base64')}` },
  'the token in the query only': {},
};

describeDb('rejected: admin URLs without the admin token', () => {
  const leaks = () => [SECRET_NOTE, 'Secret breach', 'hunter2'];
  const query = (name: string) => (name === 'the token in the query only' ? `?token=${ADMIN_TOKEN}&access_token=${ADMIN_TOKEN}` : '');

  for (const [name, headers] of Object.entries(wrongTokens)) {
    it(`the private postmortem with ${name}: 401, nothing of it in the answer`, async () => {
      const res = await fetch(`${stack.base}/incidents/${privateNumber}/postmortem.md${query(name)}`, { headers });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toContain('Bearer');
      const body = await res.text();
      for (const secret of leaks()) expect(body).not.toContain(secret);
      await expectNothingRecorded();
    });

    for (const path of ['timeline', 'timeline.md']) {
      it(`the ${path} of the private incident with ${name}: 403, nothing of it in the answer`, async () => {
        const res = await fetch(`${stack.base}/incidents/${privateNumber}/${path}${query(name)}`, { headers });
        expect(res.status).toBe(403);
        const body = await res.text();
        for (const secret of leaks()) expect(body).not.toContain(secret);
        await expectNothingRecorded();
      });
    }
  }

  it('a forged timeline signature is refused like no signature, and so is one for another incident', async () => {
    const exp = now() + 3600;
    for (const sig of ['AAAA', 'x'.repeat(43), '']) {
      const res = await fetch(`${stack.base}/incidents/${privateNumber}/timeline?exp=${exp}&sig=${sig}`);
      expect(res.status).toBe(403);
      expect(await res.text()).not.toContain(SECRET_NOTE);
    }
  });

  it('an unknown incident number answers exactly as a known one without the token (numbers cannot be probed)', async () => {
    const known = await fetch(`${stack.base}/incidents/${privateNumber}/timeline.md`);
    const unknown = await fetch(`${stack.base}/incidents/99999/timeline.md`);
    expect(unknown.status).toBe(known.status);
    expect(await unknown.text()).toBe(await known.text());
  });

  it('the admin token opens both (control); a public postmortem needs none', async () => {
    const auth = { Authorization: `Bearer ${ADMIN_TOKEN}` };
    const postmortem = await fetch(`${stack.base}/incidents/${privateNumber}/postmortem.md`, { headers: auth });
    expect(postmortem.status).toBe(200);
    expect(await postmortem.text()).toContain('Secret breach');
    const timeline = await fetch(`${stack.base}/incidents/${privateNumber}/timeline.md`, { headers: auth });
    expect(timeline.status).toBe(200);
    expect(await timeline.text()).toContain(SECRET_NOTE);
    expect((await fetch(`${stack.base}/incidents/${publicNumber}/postmortem.md`)).status).toBe(200);
  });
});

describeDb('rejected: unsubscribe and confirm links with forged tokens', () => {
  const forged = ['', 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', "' or '1'='1", '%', 'nul\u0000token', 'lone\uD800', 'x'.repeat(10_000), '../../admin'];

  it('refuses every forged unsubscribe token (one-click POST, form POST) and leaves the subscriber confirmed', async () => {
    const sub = await addSubscriber(database.db, { kind: 'email', address: `keep-${randomUUID().slice(0, 8)}@subscriber.example` });
    before = await everything();
    for (const [i, token] of [...forged, `${sub.token}x`, sub.token.slice(0, -1), sub.token.toUpperCase()].entries()) {
      // One client address per attempt: the per-client rate limit is not what is tested here.
      const client = { 'X-Forwarded-For': `198.51.100.${i + 1}` };
      const oneClick = await fetch(`${stack.base}/status/unsubscribe?${new URLSearchParams({ token })}`, { method: 'POST', headers: client, body: new URLSearchParams({ 'List-Unsubscribe': 'One-Click' }) });
      expect(oneClick.status, JSON.stringify(token.slice(0, 20))).toBe(404);
      const form = await fetch(`${stack.base}/status/unsubscribe`, { method: 'POST', headers: client, body: new URLSearchParams({ token }) });
      expect(form.status, JSON.stringify(token.slice(0, 20))).toBe(404);
    }
    const [row] = await database.db.select().from(t.subscriber).where(eq(t.subscriber.id, sub.id));
    expect(row!.confirmed).toBe(true);
    await expectNothingRecorded();
  });

  it('refuses every forged confirmation token and confirms nobody', async () => {
    for (const [i, token] of forged.entries()) {
      const res = await fetch(`${stack.base}/status/subscribe/confirm?${new URLSearchParams({ token })}`, { headers: { 'X-Forwarded-For': `198.51.100.${100 + i}` } });
      expect(res.status, JSON.stringify(token.slice(0, 20))).toBe(404);
    }
    await expectNothingRecorded();
  });

  it('the real token unsubscribes (control)', async () => {
    const sub = await addSubscriber(database.db, { kind: 'email', address: `leave-${randomUUID().slice(0, 8)}@subscriber.example` });
    const res = await fetch(`${stack.base}/status/unsubscribe?token=${encodeURIComponent(sub.token)}`, { method: 'POST', headers: { 'X-Forwarded-For': '198.51.100.250' } });
    expect(res.status).toBe(200);
    const [row] = await database.db.select().from(t.subscriber).where(eq(t.subscriber.id, sub.id));
    expect(row!.confirmed).toBe(false);
  });
});
