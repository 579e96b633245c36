import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.ts';
import { claimDeliveries, deliveryKey, recordOutcome } from '../../src/outbox/deliveries.ts';
import { killAllServe, pidsConnectedTo, settledFinalReports, startServe } from './support/processes.ts';
import {
  appFor,
  declarePublicIncident,
  deliveryRows,
  fanOutStates,
  insertSubscriberSet,
  MAIL_DOMAIN,
  MAIL_FROM,
  PUBLIC_URL,
  publishPublicUpdate,
  waitFor,
} from './support/publishing.ts';
import { createScratchDatabase, faultServerLabel } from './support/scratch-db.ts';
import { countKeys } from './support/sinks.ts';
import { useFaultStack } from './support/stack.ts';

const EMAILS = 5_000;
const WEBHOOKS = 5_000;
const TOTAL = EMAILS + WEBHOOKS;
const PROCESSES = 3;

const stack = useFaultStack();

const sample = <T>(xs: T[]) => xs.slice(0, 5);

describe(`three tsuiki serve processes on one database [${faultServerLabel}]`, () => {
  it(`deliver each of ${TOTAL.toLocaleString('en-US')} deliveries exactly once between them`, async () => {
    const began = performance.now();
    const env = { DATABASE_URL: stack.db.url, SMTP_URL: stack.smtp.url, MAIL_FROM, PUBLIC_URL };
    const [servers] = await Promise.all([
      Promise.all(Array.from({ length: PROCESSES }, (_, i) => startServe(`serve-${i + 1}`, env))),
      insertSubscriberSet(stack.db.db, { emails: EMAILS, webhooks: WEBHOOKS, webhookBase: stack.hooks.base, secret: stack.secret }),
    ]);
    const app = appFor(stack.db.db);
    const incidentId = await declarePublicIncident(app, 'Checkout unavailable');
    const published = performance.now();
    const updateId = await publishPublicUpdate(app, incidentId, {
      en: 'Checkout is unavailable for some customers. We are working on a fix.',
      ja: '一部のお客様で決済ができない状態です。修正に取り組んでいます。',
    });

    // Who is sending: every server should hold connections to the sinks at some point.
    const senders = new Set<number>();
    await waitFor(
      async () => {
        for (const pid of pidsConnectedTo([stack.smtp.port, stack.hooks.port], servers.map((s) => s.pid))) senders.add(pid);
        const states = await fanOutStates(stack.db.db);
        if (states.dead) throw new Error(`dead deliveries: ${JSON.stringify(states)}`);
        return states.delivered === TOTAL ? states : undefined;
      },
      150_000,
      async () => `every delivery to be delivered (${JSON.stringify(await fanOutStates(stack.db.db))})\n${servers.map((s) => `${s.name}:\n${s.output().slice(-1500)}`).join('\n')}`,
      250,
    );
    const allDeliveredMs = performance.now() - published;
    for (const s of servers) expect(s.alive(), `${s.name} died\n${s.output().slice(-3000)}`).toBe(true);

    // Every delivery claimed once (no worker took a row another held) and delivered.
    const rows = (await deliveryRows(stack.db.db)).filter((r) => r.target === 'email' || r.target === 'webhook');
    expect(rows).toHaveLength(TOTAL);
    expect(sample(rows.filter((r) => r.state !== 'delivered' || r.attempts !== 1))).toEqual([]);

    // The sinks: exactly one arrival per key, to the right subscriber, nothing else.
    const expectedMail = new Map(rows.filter((r) => r.target === 'email').map((r) => [`<update.${updateId}.${r.subscriber_id}@${MAIL_DOMAIN}>`, r.address!]));
    const mail = countKeys(stack.smtp.received.map((m) => m.messageId));
    expect(mail.duplicates).toBe(0);
    expect(stack.smtp.received).toHaveLength(EMAILS);
    expect(sample(stack.smtp.received.filter((m) => m.to.length !== 1 || m.to[0] !== expectedMail.get(m.messageId)))).toEqual([]);

    const expectedHooks = new Map(rows.filter((r) => r.target === 'webhook').map((r) => [deliveryKey(updateId, 'webhook', r.subscriber_id!), new URL(r.address!).pathname]));
    const hook = countKeys(stack.hooks.received.map((h) => h.id));
    expect(stack.hooks.rejected).toEqual([]);
    expect(hook.duplicates).toBe(0);
    expect(stack.hooks.received).toHaveLength(WEBHOOKS);
    expect(sample(stack.hooks.received.filter((h) => h.path !== expectedHooks.get(h.id) || h.updateId !== updateId))).toEqual([]);

    // One final summary between the three, with every delivery counted.
    const finals = await settledFinalReports(servers, updateId);
    expect(finals).toHaveLength(1);
    expect(finals[0]!.msg).toContain('email 5,000/5,000 · webhooks 5,000/5,000');

    // All three took part (seen holding connections to the SMTP sink or the webhook receiver).
    expect([...senders].sort()).toEqual(servers.map((s) => s.pid).sort());
    console.log(
      `three-processes: ${TOTAL} delivered exactly once by ${PROCESSES} processes ${(allDeliveredMs / 1000).toFixed(1)} s after publish; test ${((performance.now() - began) / 1000).toFixed(1)} s`,
    );
  });

  // The mechanism under the test above, at its most adversarial timing: workers on their own
  // connections whose deliveries take no time, so one worker's claim statement often spans
  // another's claim, delivery and recorded outcome of the same rows.
  it('concurrent claims never hand out a delivery another worker already closed', async () => {
    await killAllServe();
    const race = await createScratchDatabase();
    const workers: Awaited<ReturnType<typeof openDatabase>>[] = [];
    try {
      await insertSubscriberSet(race.db, { emails: EMAILS, webhooks: WEBHOOKS, webhookBase: stack.hooks.base, secret: stack.secret });
      const app = appFor(race.db);
      await publishPublicUpdate(app, await declarePublicIncident(app, 'Claim race'), { en: 'Investigating.', ja: '調査中です。' });
      for (let i = 0; i < 6; i++) workers.push(await openDatabase({ url: race.url, migrate: false, maxConnections: 2 }));
      const claims = new Map<string, number>();
      const closedWhenRecorded: string[] = [];
      await Promise.all(
        workers.map(async (w) => {
          for (;;) {
            const batch = await claimDeliveries(w.db, new Date(), 120_000, 50);
            if (batch.length === 0) return;
            for (const c of batch) claims.set(c.idempotencyKey, (claims.get(c.idempotencyKey) ?? 0) + 1);
            // recordOutcome changes only an open row: false means the claim handed out a closed delivery.
            const open = await Promise.all(batch.map((c) => recordOutcome(w.db, c.id, { state: 'delivered' }, new Date())));
            batch.forEach((c, i) => open[i] || closedWhenRecorded.push(c.idempotencyKey));
          }
        }),
      );
      const twice = [...claims].filter(([, n]) => n > 1);
      console.log(`three-processes: ${claims.size} deliveries claimed by 6 concurrent workers; ${twice.length} claimed twice, ${closedWhenRecorded.length} of those already closed`);
      expect(claims.size).toBe(TOTAL + 2);
      expect({ claimedTwice: twice.length, closedWhenRecorded: closedWhenRecorded.length, examples: sample(twice) }).toEqual({ claimedTwice: 0, closedWhenRecorded: 0, examples: [] });
    } finally {
      for (const w of workers) await w.close();
      await race.drop();
    }
  });
});
