import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STATUS_CHANNEL } from '../../src/status-page/cache.ts';
import { FakeSlack } from '../helpers/slack/fake-slack.ts';
import { signatureHeaders, slashCommandRequest } from '../helpers/slack/requests.ts';
import { type ScratchPostgres, startScratchPostgres } from './support/scratch-postgres.ts';

// A real `tsuiki serve` on a PostgreSQL cluster of the test's own, fed a steady stream of
// signed `/incident INC-1 update …` commands while the cluster restarts (`pg_ctl restart
// -m fast`) and then stays down for a few seconds. Every command gets its own response_url,
// so each answer is tied to the command it answers.

const root = join(import.meta.dirname, '../..');
const SIGNING_SECRET = 'fault-signing-secret-0123456789ab';
const BOT_TOKEN = 'xoxb-fault';
const USERS = { UEN: { locale: 'en-US', name: 'Alex' }, UJA: { locale: 'ja-JP', name: 'Aiko' } } as const;
type UserId = keyof typeof USERS;
const LANG: Record<UserId, 'en' | 'ja'> = { UEN: 'en', UJA: 'ja' };
const SEND_EVERY_MS = 50;
const DOWN_MS = 4_000;

const words = (lang: string) => JSON.parse(readFileSync(join(root, 'locales', lang, 'bot.json'), 'utf8')) as { errors: Record<string, string>; reply: Record<string, string> };
const NOT_RECORDED = { en: words('en').errors.not_recorded!, ja: words('ja').errors.not_recorded! };
/** `{{ref}} note recorded at {{time}}.` as a pattern for INC-1, per language. */
const RECORDED = Object.fromEntries(
  (['en', 'ja'] as const).map((lang) => {
    const [before, after] = words(lang).reply.noteAdded!.replace('{{ref}}', 'INC-1').split('{{time}}') as [string, string];
    const quote = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    return [lang, new RegExp(`^${quote(before)}.+${quote(after)}$`)];
  }),
) as Record<'en' | 'ja', RegExp>;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Sent {
  id: string;
  text: string;
  user: UserId;
  ack: number;
  /** What phase of the drill the command was sent in. */
  phase: string;
}

/** Starts `tsuiki serve` as a user would and resolves with the port it logged. */
function startServe(env: Record<string, string>, output: { text: string }): Promise<{ child: ChildProcess; port: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/tsuiki.js', 'serve'], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const collect = (chunk: Buffer) => {
      // Keep the tail only: enough to explain a failure.
      output.text = (output.text + chunk.toString()).slice(-200_000);
      const match = /"port":(\d+).*tsuiki is serving/.exec(output.text);
      if (match) resolve({ child, port: Number(match[1]) });
    };
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    child.once('exit', (code, signal) => reject(new Error(`tsuiki exited (${code ?? signal}) before serving: ${output.text}`)));
  });
}

describe('PostgreSQL restarts during a stream of /incident update commands', () => {
  let pg: ScratchPostgres;
  let fake: FakeSlack;
  let serve: { child: ChildProcess; port: number } | undefined;
  let exited: string | undefined;
  const output = { text: '' };
  const sent: Sent[] = [];
  /** /readyz answers sampled after `pg_ctl stop` returned and before `pg_ctl start` began. */
  const readyWhileDown: number[] = [];
  let readyAfterRestartMs = Number.NaN;
  let readyAfterOutageMs = Number.NaN;
  let seq = 0;

  const base = () => `http://127.0.0.1:${serve!.port}`;
  const readyz = async () => {
    try {
      return (await fetch(`${base()}/readyz`, { signal: AbortSignal.timeout(5_000) })).status;
    } catch {
      return 0;
    }
  };
  /** Polls /readyz until 200; resolves with how long that took. */
  const untilReady = async (limitMs: number) => {
    const start = Date.now();
    while (Date.now() - start < limitMs) {
      if ((await readyz()) === 200) return Date.now() - start;
      await sleep(100);
    }
    throw new Error(`/readyz not 200 within ${limitMs} ms\n${output.text.slice(-5_000)}`);
  };

  const slash = async (text: string, user: UserId, responseId: string) => {
    const request = slashCommandRequest({ text, userId: user, channelId: 'CGENERAL', responseUrl: fake.responseUrl(responseId) });
    const res = await fetch(`${base()}/slack/events`, {
      method: 'POST',
      headers: { 'Content-Type': request.contentType, ...signatureHeaders(request.body, SIGNING_SECRET) },
      body: request.body,
    });
    // A request the database could not store is answered in the acknowledgement itself.
    const body = await res.text();
    let answer = '';
    try {
      answer = body ? String((JSON.parse(body) as { text?: unknown }).text ?? '') : '';
    } catch {
      // not JSON: an empty acknowledgement
    }
    if (answer) ackAnswers.set(responseId, answer);
    return res.status;
  };

  /** One `/incident INC-1 update <distinct text>`, said outside the incident channel so the answer is ephemeral. */
  const sendUpdate = async (phase: string) => {
    const i = seq++;
    const user: UserId = i % 2 === 0 ? 'UEN' : 'UJA';
    const id = `u${i}`;
    const text = `probe-${String(i).padStart(4, '0')} ${phase}: error rate 12% on api`;
    const ack = await slash(`INC-1 update ${text}`, user, id).catch(() => 0);
    sent.push({ id, text, user, ack, phase });
  };

  /** Sends one command every SEND_EVERY_MS until stopped, without waiting for the previous one. */
  const stream = (phase: () => string) => {
    let running = true;
    const inFlight: Promise<void>[] = [];
    const loop = (async () => {
      while (running) {
        inFlight.push(sendUpdate(phase()));
        await sleep(SEND_EVERY_MS);
      }
    })();
    return async () => {
      running = false;
      await loop;
      await Promise.all(inFlight);
    };
  };

  /** Answers given in the acknowledgement (a request that could not be stored), by response id. */
  const ackAnswers = new Map<string, string>();
  const answersFor = (id: string) => [
    ...(ackAnswers.has(id) ? [ackAnswers.get(id)!] : []),
    ...fake.calls.filter((c) => c.method === 'response_url' && c.responseId === id).map((c) => String(c.args.text ?? '')),
  ];
  /** Waits until every command sent so far has its answer (bounded). */
  const untilAnswered = async (commands: Sent[], limitMs: number) => {
    const start = Date.now();
    while (commands.some((c) => answersFor(c.id).length === 0) && Date.now() - start < limitMs) await sleep(200);
  };

  const classify = (c: Sent): 'recorded' | 'not recorded' | string => {
    const answers = answersFor(c.id);
    if (answers.length !== 1) return `${answers.length} answers: ${JSON.stringify(answers)}`;
    const [answer] = answers as [string];
    const lang = LANG[c.user];
    if (RECORDED[lang].test(answer)) return 'recorded';
    if (answer === NOT_RECORDED[lang]) return 'not recorded';
    return `unexpected answer: ${answer}`;
  };

  const notesInDatabase = async (): Promise<Map<string, number>> => {
    const sql = postgres(pg.url, { max: 1, onnotice: () => {} });
    try {
      const rows = await sql<{ text: string; n: number }[]>`select text, count(*)::int as n from timeline_entry where kind = 'note' group by text`;
      return new Map(rows.map((r) => [r.text, r.n]));
    } finally {
      await sql.end({ timeout: 5 });
    }
  };

  beforeAll(async () => {
    pg = await startScratchPostgres();
    fake = await new FakeSlack({ token: BOT_TOKEN, users: { ...USERS } }).start();
    serve = await startServe(
      {
        DATABASE_URL: pg.url,
        LOG_LEVEL: 'info',
        LOCALES: 'en,ja',
        SLACK_BOT_TOKEN: BOT_TOKEN,
        SLACK_SIGNING_SECRET: SIGNING_SECRET,
        SLACK_API_URL: fake.apiUrl,
        INCIDENTS_CHANNEL: 'CINCIDENTS',
      },
      output,
    );
    serve.child.once('exit', (code, signal) => (exited = `tsuiki exited (${code ?? signal}) during the drill`));

    expect(await slash('declare Database failover drill --sev 2 --components api', 'UEN', 'declare')).toBe(200);
    const start = Date.now();
    while (![...fake.channels.keys()].some((name) => name.startsWith('inc-1-'))) {
      if (Date.now() - start > 20_000) throw new Error(`the declare opened no channel: ${JSON.stringify(fake.calls.slice(-5))}\n${output.text}`);
      await sleep(50);
    }

    // The drill: steady traffic, a fast restart, then an outage of DOWN_MS, then traffic again.
    let phase = 'before';
    const stop = stream(() => phase);
    await sleep(2_000);
    phase = 'restart';
    await pg.restart();
    readyAfterRestartMs = await untilReady(30_000);
    phase = 'between';
    await sleep(2_000);
    phase = 'down';
    await pg.stop();
    const downSince = Date.now();
    while (Date.now() - downSince < DOWN_MS) {
      readyWhileDown.push(await readyz());
      await sleep(250);
    }
    phase = 'starting';
    await pg.start();
    phase = 'back';
    readyAfterOutageMs = await untilReady(30_000);
    await sleep(2_000);
    await stop();
    await untilAnswered(sent, 45_000);
  });

  afterAll(async () => {
    const child = serve?.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([gone, sleep(15_000)]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    await fake?.stop();
    await pg?.destroy();
  });

  it('acknowledges every command to Slack at once, database or not', () => {
    expect(sent.length).toBeGreaterThan(100);
    expect(sent.filter((c) => c.ack !== 200)).toEqual([]);
  });

  it('answers every command once: recorded, or "not recorded, try again" in the user\'s language', () => {
    const odd = sent.map((c) => ({ ...c, outcome: classify(c) })).filter((c) => c.outcome !== 'recorded' && c.outcome !== 'not recorded');
    expect(odd, output.text.slice(-5_000)).toEqual([]);
  });

  it('records exactly what it said it recorded, each once, and nothing it said it did not', async () => {
    const notes = await notesInDatabase();
    const wrong = sent
      .map((c) => ({ id: c.id, phase: c.phase, outcome: classify(c), times: notes.get(c.text) ?? 0 }))
      .filter((c) => (c.outcome === 'recorded' ? c.times !== 1 : c.times !== 0));
    expect(wrong).toEqual([]);
  });

  it('really met the outage: commands sent while the database was down were answered "not recorded"', () => {
    const down = sent.filter((c) => c.phase === 'down');
    expect(down.length).toBeGreaterThan(10);
    expect(down.filter((c) => classify(c) === 'not recorded').length).toBeGreaterThan(down.length / 2);
  });

  it('reports /readyz 503 while the database is down, and 200 again within seconds of it coming back', () => {
    // Each probe may take up to its 2 s bound while connections back off: a few samples, all 503.
    expect(readyWhileDown.length).toBeGreaterThanOrEqual(3);
    expect(readyWhileDown.filter((s) => s !== 503)).toEqual([]);
    expect(readyAfterRestartMs).toBeLessThan(10_000);
    expect(readyAfterOutageMs).toBeLessThan(10_000);
  });

  it('listens for status-page changes again after the outage (LISTEN re-established)', async () => {
    const sql = postgres(pg.url, { max: 1, onnotice: () => {} });
    try {
      // postgres.js listens on one connection for every channel (the status page's, the workers'
      // wake-ups) and listens on all of them again after a reconnect, one after the other: the
      // connection's last query is one of those LISTENs.
      const listeners = async () =>
        (await sql<{ n: number }[]>`select count(*)::int as n from pg_stat_activity where query in (${`listen "${STATUS_CHANNEL}"`}, 'listen "tsuiki_work"')`)[0]!.n;
      const start = Date.now();
      while ((await listeners()) === 0 && Date.now() - start < 10_000) await sleep(200);
      expect(await listeners()).toBe(1);
    } finally {
      await sql.end({ timeout: 5 });
    }
  });

  it('records new commands after the database is back, without restarting tsuiki', async () => {
    const batch: Sent[] = [];
    for (let i = 0; i < 10; i++) {
      await sendUpdate('after');
      batch.push(sent.at(-1)!);
    }
    await untilAnswered(batch, 30_000);
    expect(batch.map(classify)).toEqual(batch.map(() => 'recorded'));
    const notes = await notesInDatabase();
    expect(batch.map((c) => notes.get(c.text))).toEqual(batch.map(() => 1));
    expect(exited).toBeUndefined();
  });
});
