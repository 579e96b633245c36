import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.ts';
import * as t from '../../src/db/schema.ts';
import { cancelJob, createJobWorker, type Job, scheduleJob } from '../../src/outbox/jobs.ts';
import { createTestDatabase, describeDb, type TestDatabase } from '../helpers/database.ts';

const T0 = new Date('2026-02-26T15:00:00Z');
let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());

const uniq = (name: string) => `${name}-${Math.random().toString(36).slice(2)}`;

function recorder(kind: string) {
  const runs: Job[] = [];
  return { runs, handlers: { [kind]: async (job: Job) => void runs.push(job) } };
}

/** A promise a handler waits on until the test releases it: a job held mid-run. */
function gated() {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  return { gate, release };
}

describeDb('scheduled jobs', () => {
  it('runs a job only once it is due, then never again', async () => {
    const kind = uniq('k');
    const clock = new ManualClock(T0);
    const { runs, handlers } = recorder(kind);
    const worker = createJobWorker({ db: database.db, clock, handlers });
    await scheduleJob(database.db, { kind, key: uniq('key'), runAt: new Date(T0.getTime() + 60_000), payload: { n: 1 } });
    expect(await worker.runDue()).toBe(0);
    clock.advance(60_000);
    expect(await worker.runDue()).toBe(1);
    expect(await worker.runDue()).toBe(0);
    expect(runs.map((r) => r.payload)).toEqual([{ n: 1 }]);
  });

  it('keeps one job per key; scheduling again replaces time and payload', async () => {
    const kind = uniq('k');
    const key = uniq('key');
    const clock = new ManualClock(T0);
    const { runs, handlers } = recorder(kind);
    await scheduleJob(database.db, { kind, key, runAt: T0, payload: { v: 1 } });
    await scheduleJob(database.db, { kind, key, runAt: new Date(T0.getTime() + 1000), payload: { v: 2 } });
    const rows = await database.db.select().from(t.scheduledJob).where(eq(t.scheduledJob.key, key));
    expect(rows).toHaveLength(1);
    clock.advance(1000);
    await createJobWorker({ db: database.db, clock, handlers }).runDue();
    expect(runs.map((r) => r.payload)).toEqual([{ v: 2 }]);
  });

  it('does not run a cancelled job', async () => {
    const kind = uniq('k');
    const key = uniq('key');
    const { runs, handlers } = recorder(kind);
    await database.db.transaction(async (tx) => {
      await scheduleJob(tx, { kind, key, runAt: T0 });
      expect(await cancelJob(tx, key)).toBe(true);
    });
    await createJobWorker({ db: database.db, clock: new ManualClock(T0), handlers }).runDue();
    expect(runs).toHaveLength(0);
    expect(await cancelJob(database.db, key)).toBe(false);
  });

  it('is not scheduled when the scheduling transaction rolls back', async () => {
    const key = uniq('key');
    await expect(
      database.db.transaction(async (tx) => {
        await scheduleJob(tx, { kind: 'x', key, runAt: T0 });
        throw new Error('rollback');
      }),
    ).rejects.toThrow('rollback');
    expect(await database.db.select().from(t.scheduledJob).where(eq(t.scheduledJob.key, key))).toHaveLength(0);
  });

  it('retries a failing handler with backoff and marks it dead after the last attempt', async () => {
    const kind = uniq('k');
    const key = uniq('key');
    const clock = new ManualClock(T0);
    const dead: string[] = [];
    let calls = 0;
    const worker = createJobWorker({
      db: database.db,
      clock,
      handlers: { [kind]: async () => void (calls += 1, (() => { throw new Error('boom'); })()) },
      backoff: { baseMs: 1000, maxMs: 10_000, maxAttempts: 3 },
      onDead: (job, error) => dead.push(`${job.key}:${error}`),
      random: () => 1,
    });
    await scheduleJob(database.db, { kind, key, runAt: T0 });
    await worker.runDue();
    expect(await worker.runDue()).toBe(0); // backing off
    clock.advance(1000);
    await worker.runDue();
    clock.advance(2000);
    await worker.runDue();
    expect(calls).toBe(3);
    expect(dead).toEqual([`${key}:boom`]);
    const [row] = await database.db.select().from(t.scheduledJob).where(eq(t.scheduledJob.key, key));
    expect(row?.state).toBe('dead');
  });

  it('lets a handler re-arm its own key for a later run', async () => {
    const kind = uniq('k');
    const key = uniq('key');
    const clock = new ManualClock(T0);
    const runs: number[] = [];
    const worker = createJobWorker({
      db: database.db,
      clock,
      handlers: {
        [kind]: async (job, { db }) => {
          runs.push(job.payload.n as number);
          if ((job.payload.n as number) < 2) await scheduleJob(db, { kind, key, runAt: new Date(clock.now().getTime() + 5000), payload: { n: 2 } });
        },
      },
    });
    await scheduleJob(database.db, { kind, key, runAt: T0, payload: { n: 1 } });
    await worker.runDue();
    clock.advance(5000);
    await worker.runDue();
    expect(runs).toEqual([1, 2]);
  });

  it('runs a job re-armed while it runs once more right after, never in two workers at once', async () => {
    const kind = uniq('k');
    const key = uniq('key');
    const clock = new ManualClock(T0);
    const { gate, release } = gated();
    const runs: number[] = [];
    let running = 0;
    let overlapped = false;
    const handler = async (job: Job) => {
      overlapped ||= running > 0;
      running++;
      runs.push(job.payload.n as number);
      if (job.payload.n === 1) await gate;
      running--;
    };
    const first = createJobWorker({ db: database.db, clock, handlers: { [kind]: handler } });
    const second = createJobWorker({ db: database.db, clock, handlers: { [kind]: handler } });
    await scheduleJob(database.db, { kind, key, runAt: T0, payload: { n: 1 } });
    const firstRun = first.runDue();
    await expect.poll(() => runs.length).toBe(1);
    // Re-armed by a write while run 1 is still going: no one else takes it meanwhile.
    await scheduleJob(database.db, { kind, key, runAt: T0, payload: { n: 2 } });
    expect(await second.runDue()).toBe(0);
    release();
    await firstRun;
    // Run 1's end did not mark the re-armed job done; its claim is released at once, not at lease end.
    const [row] = await database.db.select().from(t.scheduledJob).where(eq(t.scheduledJob.key, key));
    expect(row).toMatchObject({ state: 'pending', leasedUntil: null, claimedBy: null });
    expect(await second.runDue()).toBe(1);
    expect(runs).toEqual([1, 2]);
    expect(overlapped).toBe(false);
    expect(await first.runDue()).toBe(0);
  });

  it('leaves a waiting job as it is when asked to schedule it only unless one waits, and re-arms a running one', async () => {
    const kind = uniq('k');
    const key = uniq('key');
    const clock = new ManualClock(T0);
    const { gate, release } = gated();
    const runs: number[] = [];
    const worker = createJobWorker({
      db: database.db,
      clock,
      handlers: {
        [kind]: async (job) => {
          runs.push(job.payload.n as number);
          if (job.payload.n === 1) await gate;
        },
      },
    });
    const row = async () => (await database.db.select().from(t.scheduledJob).where(eq(t.scheduledJob.key, key)))[0]!;
    await scheduleJob(database.db, { kind, key, runAt: T0, payload: { n: 1 } });
    const v1 = (await row()).version;
    // Waiting to be claimed: left alone (same version, same payload).
    await scheduleJob(database.db, { kind, key, runAt: T0, payload: { n: 9 }, unlessWaiting: true });
    expect(await row()).toMatchObject({ version: v1, payload: { n: 1 } });
    // Running: re-armed, so a run follows this one.
    const running = worker.runDue();
    await expect.poll(() => runs.length).toBe(1);
    await scheduleJob(database.db, { kind, key, runAt: T0, payload: { n: 2 }, unlessWaiting: true });
    expect(await row()).toMatchObject({ version: v1 + 1, payload: { n: 2 } });
    // Re-armed while running: waiting again, so left alone.
    await scheduleJob(database.db, { kind, key, runAt: T0, payload: { n: 9 }, unlessWaiting: true });
    expect(await row()).toMatchObject({ version: v1 + 1, payload: { n: 2 } });
    release();
    await running;
    await worker.runDue();
    expect(runs).toEqual([1, 2]);
    // Done: armed again.
    await scheduleJob(database.db, { kind, key, runAt: T0, payload: { n: 3 }, unlessWaiting: true });
    expect(await row()).toMatchObject({ state: 'pending', payload: { n: 3 } });
  });

  it('runs a job again when the worker holding it died (lease expired)', async () => {
    const kind = uniq('k');
    const clock = new ManualClock(T0);
    const { runs, handlers } = recorder(kind);
    await scheduleJob(database.db, { kind, key: uniq('key'), runAt: T0 });
    // A worker that claims and never finishes: its handler never resolves.
    const stuck = createJobWorker({ db: database.db, clock, handlers: { [kind]: () => new Promise<void>(() => {}) }, leaseMs: 30_000 });
    void stuck.runDue();
    await new Promise((r) => setTimeout(r, 50));
    const other = createJobWorker({ db: database.db, clock, handlers });
    expect(await other.runDue()).toBe(0);
    clock.advance(30_000);
    expect(await other.runDue()).toBe(1);
    expect(runs).toHaveLength(1);
  });

  it("waits at least a failing handler's retryAfterMs (a target's Retry-After) before the retry", async () => {
    const kind = uniq('k');
    const key = uniq('key');
    const clock = new ManualClock(T0);
    let calls = 0;
    const throttled = Object.assign(new Error('429'), { retryAfterMs: 30_000 });
    const worker = createJobWorker({
      db: database.db,
      clock,
      handlers: { [kind]: async () => void (calls += 1, calls === 1 ? (() => { throw throttled; })() : undefined) },
      backoff: { baseMs: 1000, maxMs: 10_000, maxAttempts: 3 },
      random: () => 1,
    });
    await scheduleJob(database.db, { kind, key, runAt: T0 });
    await worker.runDue();
    clock.advance(29_999);
    expect(await worker.runDue()).toBe(0); // the backoff alone (1 s) would have run it by now
    clock.advance(1);
    expect(await worker.runDue()).toBe(1);
    expect(calls).toBe(2);
  });

  it('claims only the kinds it handles', async () => {
    const mine = uniq('k');
    const { runs, handlers } = recorder(mine);
    await scheduleJob(database.db, { kind: uniq('other'), key: uniq('key'), runAt: T0 });
    await createJobWorker({ db: database.db, clock: new ManualClock(T0), handlers }).runDue();
    expect(runs).toHaveLength(0);
  });
});
