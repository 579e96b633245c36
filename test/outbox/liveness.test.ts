import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import * as t from '../../src/db/schema.ts';
import { createLogger } from '../../src/logger.ts';
import { receive } from '../../src/outbox/inbox.ts';
import { LIVENESS_LOCK_NAMESPACE, type Liveness, PROCESS_WORKER_ID, startLiveness } from '../../src/outbox/liveness.ts';
import { scheduleJob } from '../../src/outbox/jobs.ts';
import { makeContext } from '../app/helpers.ts';
import { createTestDatabase, dbKind, describeDb, type TestDatabase } from '../helpers/database.ts';

const logger = createLogger({ level: 'silent' });
let database: TestDatabase;
let liveness: Liveness;

beforeAll(async () => {
  database = await createTestDatabase();
  const { clock } = makeContext(database.db);
  liveness = await startLiveness(database, { clock, logger, intervalMs: 60_000 });
});
afterAll(async () => {
  await liveness?.stop();
  await database?.drop();
});

/** Another worker's row, its claims on an inbox row and a job, as a process that claimed them would leave them. */
async function claimsOf(workerId: string, lockKey: number): Promise<{ inboxId: string; jobKey: string }> {
  const now = new Date();
  await database.db.insert(t.worker).values({ id: workerId, lockKey, pid: 1, host: 'elsewhere', startedAt: now, heartbeatAt: now });
  const { id: inboxId } = await receive(database.db, { platform: 'slack', kind: 'command', deliveryKey: `k-${workerId}`, lane: `lane-${workerId}`, payload: {} }, now);
  await database.db.update(t.inbox).set({ claimedBy: workerId, nextAttemptAt: new Date(now.getTime() + 300_000) }).where(eq(t.inbox.id, inboxId));
  const jobKey = `job-${workerId}`;
  await scheduleJob(database.db, { kind: 'test.liveness', key: jobKey, runAt: now, announce: false });
  await database.db.update(t.scheduledJob).set({ claimedBy: workerId, leasedUntil: new Date(now.getTime() + 300_000) }).where(eq(t.scheduledJob.key, jobKey));
  return { inboxId, jobKey };
}

async function claimState(c: { inboxId: string; jobKey: string }) {
  const [inbox] = await database.db.select().from(t.inbox).where(eq(t.inbox.id, c.inboxId));
  const [job] = await database.db.select().from(t.scheduledJob).where(eq(t.scheduledJob.key, c.jobKey));
  return { inbox: inbox!.claimedBy, inboxDue: inbox!.nextAttemptAt, job: job!.claimedBy, jobLease: job!.leasedUntil };
}

describeDb('liveness: a dead worker’s claims are released at once, a live one keeps them', () => {
  it('registers this process as a worker', async () => {
    const [me] = await database.db.select().from(t.worker).where(eq(t.worker.id, PROCESS_WORKER_ID));
    expect(me).toBeDefined();
  });

  it('releases every claim of a worker whose lock is gone and forgets the worker', async () => {
    const dead = randomUUID();
    const claims = await claimsOf(dead, 1_000_001);
    expect(await liveness.reap()).toContain(dead);
    expect(await claimState(claims)).toEqual({ inbox: null, inboxDue: null, job: null, jobLease: null });
    expect(await database.db.select().from(t.worker).where(eq(t.worker.id, dead))).toEqual([]);
  });

  it.runIf(dbKind === 'postgres')('keeps the claims of a worker whose session still holds its lock, and releases them once it is gone', async () => {
    const alive = randomUUID();
    const key = 1_000_002;
    // Another process's session: it holds the lock for as long as it lives.
    const session = await database.openLockSession();
    await session.query('select pg_advisory_lock($1, $2)', [LIVENESS_LOCK_NAMESPACE, key]);
    const claims = await claimsOf(alive, key);
    expect(await liveness.reap()).not.toContain(alive);
    expect((await claimState(claims)).inbox).toBe(alive);
    await session.close();
    expect(await liveness.reap()).toContain(alive);
    expect((await claimState(claims)).inbox).toBeNull();
  });

  it('never reaps itself', async () => {
    expect(await liveness.reap()).not.toContain(PROCESS_WORKER_ID);
    expect(await database.db.select().from(t.worker).where(eq(t.worker.id, PROCESS_WORKER_ID))).toHaveLength(1);
  });
});
