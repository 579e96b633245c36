import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { deliveryKey } from '../../src/outbox/deliveries.ts';
import { finalReports, startServe } from './support/processes.ts';
import {
  appFor,
  attemptsHistogram,
  declarePublicIncident,
  deliveryRows,
  fanOutStates,
  importSubscriberSet,
  MAIL_DOMAIN,
  MAIL_FROM,
  PUBLIC_URL,
  publishPublicUpdate,
  waitFor,
  watchDeliveryErrors,
} from './support/publishing.ts';
import { faultServerLabel } from './support/scratch-db.ts';
import { countKeys } from './support/sinks.ts';
import { useFaultStack } from './support/stack.ts';

const EMAILS = 30;
const WEBHOOKS = 30;
const INCIDENTS = 3;
const UPDATES_PER_INCIDENT = 3;
const PROCESSES = 2;
const RETRY_AFTER_SECONDS = 10;
/**
 * The outage, in seconds from the first publish. The worker's backoff (src/outbox/backoff.ts:
 * 5 s doubling, equal jitter, not configurable from the environment) makes a lane head try
 * at about 0, 2.5–5, 7.5–15, 17.5–35 and 37.5–75 s, so 60 s of outage is 4 to 5 failed
 * rounds for the first incident, and the last failed round's retry comes at most ~80 s after
 * the targets recover.
 */
const WEBHOOK_500_UNTIL = 20;
const WEBHOOK_429_UNTIL = 40;
const OUTAGE_ENDS = 60;
/** A publish every 6 s, round-robin over the incidents: all of them inside the outage. */
const PUBLISH_EVERY = 6;

const stack = useFaultStack();

const sample = <T>(xs: T[]) => xs.slice(0, 5);
const messageIdPattern = new RegExp(`^<update\\.([0-9a-f-]{36})\\.([0-9a-f-]{36})@${MAIL_DOMAIN.replace(/\./g, '\\.')}>$`);

describe(`targets failing for a minute while updates are published [${faultServerLabel}]`, () => {
  it('delivers every update after the targets recover, in publish order per incident and subscriber, nothing dead', async () => {
    const began = performance.now();
    const env = { DATABASE_URL: stack.db.url, SMTP_URL: stack.smtp.url, MAIL_FROM, PUBLIC_URL };
    await importSubscriberSet(stack.db.db, { emails: EMAILS, webhooks: WEBHOOKS, webhookBase: stack.hooks.base, secret: stack.secret });
    const servers = await Promise.all(Array.from({ length: PROCESSES }, (_, i) => startServe(`serve-${i + 1}`, env)));
    const app = appFor(stack.db.db);
    const incidents: string[] = [];
    for (let i = 1; i <= INCIDENTS; i++) incidents.push(await declarePublicIncident(app, `Outage ${i}`));

    // Both targets are out before the first update is published.
    await stack.smtp.down();
    stack.hooks.setMode({ kind: 'fail', status: 500 });

    /** updateId → [incident index, position within the incident], in publish order. */
    const published = new Map<string, { incident: number; seq: number }>();
    const timeline: string[] = [];
    const events: { at: number; what: string; run: () => Promise<unknown> | void }[] = [
      { at: WEBHOOK_500_UNTIL, what: `webhooks answer 429 Retry-After: ${RETRY_AFTER_SECONDS}`, run: () => stack.hooks.setMode({ kind: 'fail', status: 429, retryAfterSeconds: RETRY_AFTER_SECONDS }) },
      { at: WEBHOOK_429_UNTIL, what: 'webhook receiver closed (connection refused)', run: () => stack.hooks.down() },
      { at: OUTAGE_ENDS, what: 'webhook receiver back, accepting', run: async () => (stack.hooks.setMode({ kind: 'accept' }), stack.hooks.up()) },
      { at: OUTAGE_ENDS, what: 'SMTP sink back', run: () => stack.smtp.up() },
    ];
    for (let n = 0; n < INCIDENTS * UPDATES_PER_INCIDENT; n++) {
      const incident = n % INCIDENTS;
      const seq = Math.floor(n / INCIDENTS);
      events.push({
        at: n * PUBLISH_EVERY,
        what: `publish incident ${incident + 1} update ${seq + 1}`,
        run: async () => {
          const updateId = await publishPublicUpdate(app, incidents[incident]!, {
            en: `Incident ${incident + 1}, update ${seq + 1}: still investigating.`,
            ja: `障害 ${incident + 1}、第 ${seq + 1} 報：調査を続けています。`,
          });
          published.set(updateId, { incident, seq });
        },
      });
    }
    events.sort((a, b) => a.at - b.at);

    // Watch the queue meanwhile: every distinct error the workers recorded, and no dead letter.
    const watch = watchDeliveryErrors(stack.db.db);
    const t0 = performance.now();
    try {
      for (const event of events) {
        const wait = event.at * 1000 - (performance.now() - t0);
        if (wait > 0) await sleep(wait);
        await event.run();
        timeline.push(`${((performance.now() - t0) / 1000).toFixed(1)} s ${event.what}`);
        expect(watch.dead()).toEqual([]);
      }
      await waitFor(
        async () => {
          const states = await fanOutStates(stack.db.db);
          if (states.dead) throw new Error(`dead deliveries: ${JSON.stringify(states)}`);
          return states.delivered === published.size * (EMAILS + WEBHOOKS) ? states : undefined;
        },
        200_000,
        async () => `every delivery to be delivered (${JSON.stringify(await fanOutStates(stack.db.db))})\n${servers.map((s) => `${s.name}:\n${s.output().slice(-1500)}`).join('\n')}`,
        250,
      );
    } finally {
      await watch.stop();
    }
    const recoveredMs = performance.now() - t0 - OUTAGE_ENDS * 1000;
    for (const s of servers) expect(s.alive(), `${s.name} died\n${s.output().slice(-3000)}`).toBe(true);
    expect(published.size).toBe(INCIDENTS * UPDATES_PER_INCIDENT);

    // Nothing dead, everything delivered; the first incident's first update went through several backoff rounds.
    const rows = (await deliveryRows(stack.db.db)).filter((r) => r.target === 'email' || r.target === 'webhook');
    expect(rows).toHaveLength(published.size * (EMAILS + WEBHOOKS));
    expect(sample(rows.filter((r) => r.state !== 'delivered'))).toEqual([]);
    const firstUpdate = [...published].find(([, p]) => p.incident === 0 && p.seq === 0)![0];
    const attemptsOfFirst = (target: string) => rows.filter((r) => r.update_id === firstUpdate && r.target === target).map((r) => r.attempts);
    expect(Math.min(...attemptsOfFirst('email'))).toBeGreaterThanOrEqual(4);
    expect(Math.min(...attemptsOfFirst('webhook'))).toBeGreaterThanOrEqual(3);

    // Each phase of the outage was met by the workers: 500, 429, refused connections, SMTP refused.
    const seen = (target: string) => [...(watch.errors.get(target) ?? [])];
    expect(seen('webhook').some((e) => e.startsWith('HTTP N'))).toBe(true);
    expect(stack.hooks.refused.some((r) => r.status === 500)).toBe(true);
    expect(stack.hooks.refused.some((r) => r.status === 429)).toBe(true);
    expect(seen('webhook').some((e) => /ECONNREFUSED/.test(e))).toBe(true);
    expect(seen('email').some((e) => /ECONNREFUSED/.test(e))).toBe(true);

    // Retry-After is a floor: after a 429, the same webhook-id never came back sooner.
    const tooSoon: string[] = [];
    const requests = [...stack.hooks.refused.map((r) => ({ id: r.id, at: r.at, retryAfter: r.retryAfterSeconds })), ...stack.hooks.received.map((r) => ({ id: r.id, at: r.at, retryAfter: undefined }))].sort((a, b) => a.at - b.at);
    const last429 = new Map<string, { at: number; retryAfter: number }>();
    for (const r of requests) {
      const before = last429.get(r.id);
      if (before && r.at - before.at < before.retryAfter * 1000 - 50) tooSoon.push(`${r.id} after ${r.at - before.at} ms`);
      if (r.retryAfter !== undefined) last429.set(r.id, { at: r.at, retryAfter: r.retryAfter });
      else last429.delete(r.id);
    }
    expect(sample(tooSoon)).toEqual([]);

    // Every key arrived, signed; first arrivals per incident × subscriber in publish order.
    expect(stack.hooks.rejected).toEqual([]);
    const expectedHookIds = new Set(rows.filter((r) => r.target === 'webhook').map((r) => deliveryKey(r.update_id, 'webhook', r.subscriber_id!)));
    const expectedMailIds = new Set(rows.filter((r) => r.target === 'email').map((r) => `<update.${r.update_id}.${r.subscriber_id}@${MAIL_DOMAIN}>`));
    const hook = countKeys(stack.hooks.received.map((h) => h.id));
    const mail = countKeys(stack.smtp.received.map((m) => m.messageId));
    expect([...expectedHookIds].filter((id) => !hook.counts.has(id))).toEqual([]);
    expect([...expectedMailIds].filter((id) => !mail.counts.has(id))).toEqual([]);
    expect([...hook.counts.keys()].filter((id) => !expectedHookIds.has(id))).toEqual([]);
    expect([...mail.counts.keys()].filter((id) => !expectedMailIds.has(id))).toEqual([]);

    const arrivals: { lane: string; updateId: string; key: string }[] = [
      ...stack.hooks.received.map((h) => ({ lane: `webhook ${h.path}`, updateId: h.updateId, key: h.id })),
      ...stack.smtp.received.map((m) => ({ lane: `email ${m.to.join(',')}`, updateId: messageIdPattern.exec(m.messageId)?.[1] ?? m.messageId, key: m.messageId })),
    ];
    const order = new Map<string, number[]>();
    const firstSeen = new Set<string>();
    // A repeat (same key) of an update arriving after a later one: allowed by at-least-once, counted.
    let staleRepeats = 0;
    for (const a of arrivals) {
      const p = published.get(a.updateId);
      expect(p, `arrival of an unknown update ${a.updateId}`).toBeDefined();
      const lane = `${a.lane} incident ${p!.incident + 1}`;
      if (firstSeen.has(a.key)) {
        if (Math.max(...order.get(lane)!) > p!.seq + 1) staleRepeats += 1;
        continue;
      }
      firstSeen.add(a.key);
      order.set(lane, [...(order.get(lane) ?? []), p!.seq + 1]);
    }
    expect(order.size).toBe((EMAILS + WEBHOOKS) * INCIDENTS);
    const inOrder = Array.from({ length: UPDATES_PER_INCIDENT }, (_, i) => i + 1);
    expect(sample([...order].filter(([, seqs]) => seqs.join() !== inOrder.join()))).toEqual([]);

    // Each update's final summary was reported once between the two servers, nothing failed in it.
    await waitFor(() => ([...published.keys()].every((id) => finalReports(servers, id).length > 0) ? true : undefined), 15_000, () => 'a final summary of every update');
    await sleep(2_000);
    for (const id of published.keys()) {
      const finals = finalReports(servers, id);
      expect(finals).toHaveLength(1);
      expect(finals[0]!.msg).toContain(`email ${EMAILS}/${EMAILS} · webhooks ${WEBHOOKS}/${WEBHOOKS}`);
    }

    console.log(
      [
        `target-outage: ${rows.length} deliveries of ${published.size} updates (${INCIDENTS} incidents) to ${EMAILS} mail + ${WEBHOOKS} webhook subscribers by ${PROCESSES} processes`,
        ...timeline.map((l) => `  ${l}`),
        `  all delivered ${(recoveredMs / 1000).toFixed(1)} s after the targets recovered (outage ${OUTAGE_ENDS} s)`,
        `  claims per delivery ${JSON.stringify(attemptsHistogram(rows))}, first update's mails ≥ ${Math.min(...attemptsOfFirst('email'))}, webhooks ≥ ${Math.min(...attemptsOfFirst('webhook'))}; ` +
          `receiver answered ${stack.hooks.refused.filter((r) => r.status === 500).length}× 500, ${stack.hooks.refused.filter((r) => r.status === 429).length}× 429`,
        `  duplicates: ${mail.duplicates} mails, ${hook.duplicates} webhooks (${staleRepeats} of them after a later update); errors seen: ${JSON.stringify(watch.summary())}`,
        `  test ${((performance.now() - began) / 1000).toFixed(1)} s`,
      ].join('\n'),
    );
  });
});
