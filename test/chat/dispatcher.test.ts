import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { ConsolePlatform } from '../../src/chat/console/console-platform.ts';
import type { AppContext } from '../../src/app/context.ts';
import { findIncidentIdByNumber } from '../../src/db/incident-repository.ts';
import * as t from '../../src/db/schema.ts';
import { countEverything, makeContext, MINUTE, person, snapshot } from '../app/helpers.ts';
import { createTestDatabase, dbKind, describeDb, type TestDatabase } from '../helpers/database.ts';
import { button, declaredIn, openConsole, postedIn } from './helpers.ts';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});

afterAll(async () => {
  await database.drop();
});

// Every test clock starts at 2026-02-27 00:00 in Japan (the team's zone), so `23:50` is yesterday.

async function incidentIdOf(number: number): Promise<string> {
  const id = await findIncidentIdByNumber(database.db, number);
  if (!id) throw new Error(`no INC-${number}`);
  return id;
}

async function postmortemLangs(incidentId: string): Promise<string[]> {
  const rows = await database.db.select({ lang: t.postmortem.lang }).from(t.postmortem).where(eq(t.postmortem.incidentId, incidentId));
  return rows.map((r) => r.lang).sort();
}

/** A console user who has just declared an incident and stands in its channel. */
async function inIncidentChannel(lang: 'en' | 'ja' = 'en') {
  const { ctx, clock } = makeContext(database.db);
  const cli = openConsole(database, ctx, person('Aiko', lang));
  const { number, channel } = declaredIn(await cli.say('/incident declare API errors in EU --components api'));
  cli.session.channel = channel;
  return { ctx, clock, cli, number, channel, incidentId: await incidentIdOf(number) };
}

describeDb('console → dispatcher → use cases', () => {
  it('runs a whole incident from declare to close in English', async () => {
    const { ctx, clock } = makeContext(database.db);
    const cli = openConsole(database, ctx, person('Aiko'));

    const declared = await cli.say('/incident declare API errors in EU --sev 2 --components api --started 23:50');
    const { number, channel } = declaredIn(declared);
    const ref = `INC-${number}`;
    expect(channel).toBe(`inc-${number}-api-errors-in-eu`);
    expect(declared).toContain(`${ref} declared: API errors in EU`);
    expect(postedIn(declared, 'incidents').join('\n')).toContain(`${ref} declared by Aiko: API errors in EU`);
    expect(cli.session.channel).toBe(channel);

    clock.advance(5 * MINUTE);
    expect(await cli.say('update at 0:01 Paged the DB team')).toContain(`${ref} note recorded, back-dated to Feb 27, 00:01`);

    clock.advance(5 * MINUTE);
    const identified = await cli.say('status identified The primary database failed over.');
    expect(identified).toContain(`${ref} status: Investigating → Identified`);
    expect(identified).toContain(`Public update preview — ${ref} (Identified)`);
    expect(await cli.say(button(identified, 'Publish'))).toContain('Public update published.');

    clock.advance(10 * MINUTE);
    const drafted = await cli.say('publish Errors have stopped; we are monitoring.');
    expect(drafted).toContain('Public update preview (Identified). Review it and press Publish.');
    expect(await cli.say(button(drafted, 'Publish'))).toContain('Public update published.');

    expect(await cli.say('mitigated 0:18')).toContain(`${ref} Mitigated: Feb 27, 00:18`);
    expect(await cli.say('timeline')).toContain(`Timeline of ${ref} (7 entries, Asia/Tokyo)`);

    clock.advance(30 * MINUTE);
    const closed = await cli.say('close All systems are operational.');
    expect(closed).toContain(`${ref} resolved and closed. Postmortem draft written (en, ja).`);
    expect(await cli.say(button(closed, 'Publish'))).toContain('Public update published.');

    const incident = await snapshot(database.db, await incidentIdOf(number));
    expect(incident.status).toBe('closed');
    expect(incident.severity).toBe('SEV2');
    expect(Object.keys(incident.moments).sort()).toEqual(['closed', 'declared', 'first_public', 'mitigated', 'resolved', 'started']);
    expect(incident.publicUpdates.map((u) => [u.status, u.state])).toEqual([
      ['identified', 'published'],
      ['identified', 'published'],
      ['resolved', 'published'],
    ]);
    expect(await postmortemLangs(incident.id)).toEqual(['en', 'ja']);
  });

  it('runs a whole incident from declare to close with Japanese verbs and replies', async () => {
    const { ctx, clock } = makeContext(database.db);
    const cli = openConsole(database, ctx, person('Haruto', 'ja'));

    const declared = await cli.say('/incident 宣言 決済APIでエラー --sev 1 --components api --started 23:50');
    const { number, channel } = declaredIn(declared);
    const ref = `INC-${number}`;
    expect(declared).toContain(`${ref} を宣言しました: 決済APIでエラー`);
    expect(declared).toContain(`インシデントチャンネル: inc-${number}-api`);
    await cli.say(`/join #${channel}`);

    clock.advance(5 * MINUTE);
    expect(await cli.say('追記 時刻 0:01 DBチームに連絡済み')).toContain(`${ref} 2/27 0:01 (JST) の出来事として記録しました。`);

    clock.advance(5 * MINUTE);
    const identified = await cli.say('状態 原因特定 データベースのフェイルオーバーを実施しています。');
    expect(identified).toContain(`${ref} 状態: 調査中 → 原因特定`);
    expect(identified).toContain(`公開告知のプレビュー — ${ref} (原因特定)`);
    expect(await cli.say(button(identified, '公開'))).toContain('公開告知を公開しました。');

    clock.advance(10 * MINUTE);
    const drafted = await cli.say('公開 エラーは収まりました。経過を観察しています。');
    expect(drafted).toContain('公開告知のプレビューです (原因特定)。内容を確認して「公開」を押してください。');
    expect(await cli.say(button(drafted, '公開'))).toContain('公開告知を公開しました。');

    expect(await cli.say('緩和 0:18')).toContain(`${ref} 緩和: 2/27 0:18 (JST)`);

    clock.advance(30 * MINUTE);
    const closed = await cli.say('終了 すべてのサービスが復旧しました。');
    expect(closed).toContain(`${ref} を解決済みにしてクローズしました。ポストモーテムの下書きを作成しました (en, ja)。`);
    expect(await cli.say(button(closed, '公開'))).toContain('公開告知を公開しました。');

    const incident = await snapshot(database.db, await incidentIdOf(number));
    expect(incident.status).toBe('closed');
    expect(incident.severity).toBe('SEV1');
    expect(incident.publicUpdates.map((u) => [u.sourceLang, u.status, u.state])).toEqual([
      ['ja', 'identified', 'published'],
      ['ja', 'identified', 'published'],
      ['ja', 'resolved', 'published'],
    ]);
    expect(await postmortemLangs(incident.id)).toEqual(['en', 'ja']);
  });

  it('follows a Japanese declare into the new incident channel, as an English one does', async () => {
    const { ctx } = makeContext(database.db);
    const cli = openConsole(database, ctx, person('Haruto', 'ja'));
    const { channel } = declaredIn(await cli.say('宣言 決済APIでエラー'));
    expect(cli.session.channel).toBe(channel);
  });

  // The parser reads a time up to 5 minutes ahead as clock skew; the use case clamps it to now.
  it('records a back-dating time slightly ahead of the server clock as now', async () => {
    const { cli, clock } = await inIncidentChannel();
    clock.advance(5 * MINUTE + 30_000);
    expect(await cli.say('update at 0:06 Failover finished')).toContain('note recorded at Feb 27, 00:05');
  });

  it('runs a command for INC-n from another channel and posts the result in the incident channel too', async () => {
    const { cli, number, channel, incidentId } = await inIncidentChannel();
    await cli.say('/join general');
    const output = await cli.say(`INC-${number} update Customer reports from the EU`);
    const reply = `INC-${number} note recorded at Feb 27, 00:00`;
    expect(postedIn(output, 'general')).toEqual([expect.stringMatching(/\(only you\)\n {2}INC-\d+ note recorded at/)]);
    expect(postedIn(output, 'general')[0]).toContain(reply);
    expect(postedIn(output, channel).some((block) => block.includes(reply))).toBe(true);
    const notes = (await snapshot(database.db, incidentId)).entries.filter((e) => e.kind === 'note');
    expect(notes.map((e) => e.text)).toEqual(['Customer reports from the EU']);
  });

  it('posts a preview asked for from another channel in the incident channel, with its buttons', async () => {
    const { cli, number, channel } = await inIncidentChannel();
    await cli.say('/join general');
    const output = await cli.say(`INC-${number} publish We are investigating errors on the API.`);
    const preview = postedIn(output, channel).find((block) => block.includes(`Public update preview — INC-${number}`));
    expect(preview).toMatch(/\[!\d+ Publish\]/);
  });

  it('answers a private incident named from outside as not found', async () => {
    const { ctx } = makeContext(database.db);
    const owner = openConsole(database, ctx, person('Aiko'));
    const { number } = declaredIn(await owner.say('declare Credential leak --private'));
    const outsider = openConsole(database, ctx, person('Mallory'));
    const before = await countEverything(database.db);
    expect(await outsider.say(`INC-${number} update hello`)).toContain(`No incident INC-${number}.`);
    expect(await outsider.say(`INC-${number} summary`)).toContain(`No incident INC-${number}.`);
    expect(await countEverything(database.db)).toEqual(before);
  });
});

type BadInput = [name: string, lang: 'en' | 'ja', command: string, lines: string[]];

const badInputs: BadInput[] = [
  ['an unknown verb', 'en', 'frobnicate now', ['"frobnicate" is not an incident command.']],
  ['an unknown verb', 'ja', 'ふがふが', ['「ふがふが」はインシデントコマンドではありません。']],
  ['a missing argument', 'en', 'update', ['Missing the text.', 'Usage: /incident update [at HH:MM] <text>']],
  ['a missing argument', 'ja', '追記', ['内容 が指定されていません。', '使い方: /incident 追記 [at HH:MM] <内容>']],
  ['a bad time', 'en', 'started 25:00', ['"25:00" is not a time.', 'Usage: /incident started <HH:MM or ISO time>']],
  ['a bad time', 'ja', '開始 25:00', ['「25:00」は時刻として読めません。', '使い方: /incident 開始 <HH:MM または ISO 形式の時刻>']],
  ['a bad status', 'en', 'status closed', ['"closed" is not a status.', 'Usage: /incident status <investigating|identified|monitoring|resolved>']],
  ['a bad status', 'ja', '状態 終わり', ['「終わり」は状態ではありません。', '使い方: /incident 状態 <調査中|原因特定|経過観察中|解決>']],
  ['the same status', 'en', 'status investigating', ['The incident is already Investigating.', 'Usage: /incident status']],
  ['the same status', 'ja', '状態 調査中', ['インシデントはすでに「調査中」です。', '使い方: /incident 状態']],
  ['a future time', 'en', 'mitigated 2030-01-01T00:00Z', ['2030-01-01T00:00Z is in the future.', 'Usage: /incident mitigated']],
  ['an incident that does not exist', 'en', 'INC-999999 update hello', ['No incident INC-999999.']],
  ['an incident that does not exist', 'ja', 'INC-999999 追記 こんにちは', ['インシデント INC-999999 は見つかりません。']],
];

describeDb('bad input through the dispatcher', () => {
  it.each(badInputs)('answers %s (%s) with a localized error, the usage where there is a verb, and writes nothing', async (_name, lang, command, lines) => {
    const { cli } = await inIncidentChannel(lang);
    const before = await countEverything(database.db);
    const output = await cli.say(command);
    expect(output).toContain('(only you)');
    for (const line of lines) expect(output).toContain(line);
    expect(await countEverything(database.db)).toEqual(before);
  });
});

/** A context whose every write fails with `error` before touching the database. */
function failingWrites(ctx: AppContext, error: unknown): AppContext {
  const db = Object.create(ctx.db, { transaction: { value: () => Promise.reject(error) } }) as AppContext['db'];
  return { ...ctx, db };
}

const NOT_RECORDED = 'Not recorded: the database did not answer. Please try again.';
const APOLOGY = /Sorry, something went wrong on our side and nothing was recorded\. Reference: ([0-9a-f]{8})/;
const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describeDb('failures that are not the user’s', () => {
  it('answers an unexpected error with the apology and a reference that is also logged', async () => {
    const { ctx, number } = await inIncidentChannel();
    const cli = openConsole(database, failingWrites(ctx, new Error('disk on fire')), person('Aiko'));
    const output = await cli.say(`INC-${number} update hello`);
    const reference = APOLOGY.exec(output)?.[1];
    expect(reference).toBeDefined();
    expect(cli.logs()).toContainEqual(expect.objectContaining({ level: 50, reference, msg: 'command failed' }));
  });

  it('answers an unexpected error in Japanese for a Japanese speaker', async () => {
    const { ctx, number } = await inIncidentChannel();
    const cli = openConsole(database, failingWrites(ctx, new Error('disk on fire')), person('Haruto', 'ja'));
    expect(await cli.say(`INC-${number} 追記 こんにちは`)).toMatch(/申し訳ありません。.*参照番号: [0-9a-f]{8}/);
  });

  it.each([
    ['a refused connection', withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')],
    ['a serialization failure', withCode('could not serialize access', '40001')],
    ['a connection failure carried as the cause', new Error('query failed', { cause: withCode('connection failure', '08006') })],
  ])('answers %s with "not recorded, try again"', async (_name, error) => {
    const { ctx, number } = await inIncidentChannel();
    const cli = openConsole(database, failingWrites(ctx, error), person('Aiko'));
    const before = await countEverything(database.db);
    const output = await cli.say(`INC-${number} update hello`);
    expect(output).toContain(NOT_RECORDED);
    expect(output).not.toMatch(APOLOGY);
    expect(await countEverything(database.db)).toEqual(before);
  });

  it('answers a closed database without claiming anything was recorded', async () => {
    const own = await createTestDatabase();
    try {
      const { ctx } = makeContext(own.db);
      const cli = openConsole(own, ctx, person('Aiko'));
      declaredIn(await cli.say('declare API errors in EU'));
      await own.close();
      const output = await cli.say('update Paged the DB team');
      // postgres.js reports CONNECTION_ENDED, which errors.ts knows; PGlite's "PGlite is closed" carries no code.
      if (dbKind === 'postgres') expect(output).toContain(NOT_RECORDED);
      else expect(output).toMatch(APOLOGY);
    } finally {
      await own.drop();
    }
  });

  it('tells only the presser when a second Publish press finds the update already published', async () => {
    const { cli } = await inIncidentChannel();
    const preview = await cli.say('publish Errors are elevated in the EU.');
    const publish = button(preview, 'Publish');
    expect(await cli.say(publish)).toMatch(/\n {2}Public update published\./);
    const again = await cli.say(publish);
    expect(again).toMatch(/\(only you\)\n {2}That public update was already published; nothing changed\./);
  });

  it('says a declare was recorded when only opening its channel failed, so nobody declares it twice', async () => {
    const { ctx } = makeContext(database.db);
    const cli = openConsole(database, ctx, person('Aiko'));
    const lost = Object.assign(new Error('write CONNECTION_CLOSED'), { code: 'CONNECTION_CLOSED' });
    const open = vi.spyOn(ConsolePlatform.prototype, 'openIncidentChannel').mockRejectedValueOnce(lost);
    try {
      const before = await countEverything(database.db);
      const output = await cli.say('declare Checkout latency');
      const number = Number(/INC-(\d+) declared: Checkout latency/.exec(output)?.[1]);
      expect(number).toBeGreaterThan(0);
      expect(output).toContain(`The incident channel could not be opened yet; INC-${number} is recorded.`);
      expect(output).not.toContain(NOT_RECORDED);
      expect((await countEverything(database.db)).incident).toBe((before.incident ?? 0) + 1);
    } finally {
      open.mockRestore();
    }
  });
});
