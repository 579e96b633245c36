import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.ts';
import * as t from '../../src/db/schema.ts';
import { createLogger } from '../../src/logger.ts';
import { createInboxWorker, type InboxItem, receive } from '../../src/outbox/inbox.ts';
import { T0 } from '../app/helpers.ts';
import { createTestDatabase, describeDb, type TestDatabase } from '../helpers/database.ts';

const logger = createLogger({ level: 'silent' });
let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database?.drop());

let n = 0;
const uniq = (p: string) => `${p}-${++n}-${Math.random().toString(36).slice(2, 8)}`;

describeDb('inbox: stored requests', () => {
  it('stores a request once: a redelivery with the same key is a duplicate, and is processed once', async () => {
    const key = uniq('trigger');
    const platform = uniq('p');
    const first = await receive(database.db, { platform, kind: 'command', deliveryKey: key, lane: 'l', payload: { text: 'a\u0000b' } }, T0);
    const again = await receive(database.db, { platform, kind: 'command', deliveryKey: key, lane: 'l', payload: { text: 'other' } }, T0);
    expect(first.duplicate).toBe(false);
    expect(again.duplicate).toBe(true);
    const seen: InboxItem[] = [];
    const worker = createInboxWorker({ db: database.db, clock: new ManualClock(T0), logger, platform, handlers: { command: async (item) => void seen.push(item) } });
    await worker.drain();
    expect(seen.map((s) => s.payload)).toEqual([{ text: 'a\uFFFDb' }]);
    const [row] = await database.db.select().from(t.inbox).where(eq(t.inbox.deliveryKey, key));
    expect(row).toMatchObject({ state: 'done', claimedBy: null, attempts: 1 });
  });

  it('keeps the order of one lane and runs different lanes side by side', async () => {
    const platform = uniq('p');
    for (let i = 0; i < 4; i++) {
      await receive(database.db, { platform, kind: 'k', deliveryKey: uniq('a'), lane: 'lane-a', payload: { i } }, new Date(T0.getTime() + i));
      await receive(database.db, { platform, kind: 'k', deliveryKey: uniq('b'), lane: 'lane-b', payload: { i } }, new Date(T0.getTime() + i));
    }
    const running = new Map<string, number>();
    const order: string[] = [];
    let together = 0;
    const worker = createInboxWorker({
      db: database.db,
      clock: new ManualClock(T0),
      logger,
      platform,
      handlers: {
        k: async (item) => {
          expect(running.get(item.lane) ?? 0).toBe(0);
          running.set(item.lane, 1);
          together = Math.max(together, [...running.values()].reduce((a, b) => a + b, 0));
          await new Promise((resolve) => setTimeout(resolve, 30));
          order.push(`${item.lane}:${item.payload.i}`);
          running.set(item.lane, 0);
        },
      },
    });
    await worker.drain();
    expect(order.filter((o) => o.startsWith('lane-a'))).toEqual(['lane-a:0', 'lane-a:1', 'lane-a:2', 'lane-a:3']);
    expect(order.filter((o) => o.startsWith('lane-b'))).toEqual(['lane-b:0', 'lane-b:1', 'lane-b:2', 'lane-b:3']);
    expect(together).toBe(2);
  });

  it('retries a failed request later, holding its lane, and gives up after the last attempt', async () => {
    const platform = uniq('p');
    const clock = new ManualClock(T0);
    const key = uniq('fail');
    await receive(database.db, { platform, kind: 'k', deliveryKey: key, lane: 'l', payload: {} }, T0);
    await receive(database.db, { platform, kind: 'k', deliveryKey: uniq('next'), lane: 'l', payload: { next: true } }, new Date(T0.getTime() + 1));
    const ran: unknown[] = [];
    const worker = createInboxWorker({
      db: database.db,
      clock,
      logger,
      platform,
      backoff: { baseMs: 1_000, maxMs: 1_000, maxAttempts: 2 },
      handlers: {
        k: async (item) => {
          ran.push(item.payload);
          if (!item.payload.next) throw new Error('database away');
        },
      },
    });
    await worker.drain();
    // The failed head waits for its retry; the request behind it waits with it.
    expect(ran).toEqual([{}]);
    const [row] = await database.db.select().from(t.inbox).where(eq(t.inbox.deliveryKey, key));
    expect(row).toMatchObject({ state: 'pending', claimedBy: null, lastError: 'database away' });
    clock.advance(1_001);
    await worker.drain();
    const [dead] = await database.db.select().from(t.inbox).where(eq(t.inbox.deliveryKey, key));
    expect(dead!.state).toBe('dead');
    expect(ran).toEqual([{}, {}, { next: true }]);
  });

  it('marks a request of a kind this version cannot read dead at once', async () => {
    const platform = uniq('p');
    const key = uniq('unknown');
    await receive(database.db, { platform, kind: 'from_the_future', deliveryKey: key, lane: 'l', payload: {} }, T0);
    await createInboxWorker({ db: database.db, clock: new ManualClock(T0), logger, platform, handlers: {} }).drain();
    const [row] = await database.db.select().from(t.inbox).where(eq(t.inbox.deliveryKey, key));
    expect(row).toMatchObject({ state: 'dead', attempts: 1 });
  });
});
