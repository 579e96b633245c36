import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { deliveryKey } from '../../src/outbox/deliveries.ts';
import { type ServeProcess, settledFinalReports, startServe } from './support/processes.ts';
import {
  appFor,
  attemptsHistogram,
  declarePublicIncident,
  deliveryRows,
  faultSeed,
  fanOutStates,
  insertSubscriberSet,
  MAIL_DOMAIN,
  MAIL_FROM,
  PUBLIC_URL,
  publishPublicUpdate,
  seededRandom,
  waitFor,
  watchDeliveryErrors,
} from './support/publishing.ts';
import { faultServerLabel } from './support/scratch-db.ts';
import { countKeys } from './support/sinks.ts';
import { useFaultStack } from './support/stack.ts';

const EMAILS = 5_000;
const WEBHOOKS = 5_000;
const TOTAL = EMAILS + WEBHOOKS;
const KILLS = 5;
/** Deliveries the sinks see between a (re)start and the next kill: random in this range… */
const GAP = { min: 100, max: 1_500 };
/** …or, should the sinks stall first (the rest held by dead workers' leases), this many ms after the (re)start. */
const KILL_BY_MS = { min: 1_000, max: 6_000 };
/** A killed worker's claims are released by the next process's liveness reap at its start, not when their 2-minute lease runs out. */
const FINISH_TIMEOUT_MS = 60_000;
/** The issue's bar: everything delivered within this long after the last restart. */
const AFTER_RESTART_MS = 20_000;

const stack = useFaultStack();

const sample = <T>(xs: T[]) => xs.slice(0, 5);

describe(`tsuiki serve killed with SIGKILL during a fan-out [${faultServerLabel}]`, () => {
  it(`delivers each of ${TOTAL.toLocaleString('en-US')} deliveries at least once across ${KILLS} kills, a repeat only under the same key`, async () => {
    const seed = faultSeed();
    const random = seededRandom(seed);
    console.log(`fanout-kill: FAULT_SEED=${seed}`);
    const began = performance.now();

    const env = { DATABASE_URL: stack.db.url, SMTP_URL: stack.smtp.url, MAIL_FROM, PUBLIC_URL };
    const [first] = await Promise.all([startServe('serve-1', env), insertSubscriberSet(stack.db.db, { emails: EMAILS, webhooks: WEBHOOKS, webhookBase: stack.hooks.base, secret: stack.secret })]);
    let server: ServeProcess = first;
    const servers = [server];
    const app = appFor(stack.db.db);
    const incidentId = await declarePublicIncident(app, 'Elevated API errors');
    const published = performance.now();
    const updateId = await publishPublicUpdate(app, incidentId, {
      en: 'We are investigating elevated error rates on the public API.',
      ja: '公開 API のエラー率の上昇を調査しています。',
    });

    // Kill points are chosen by what the sinks have received: each server is killed after a
    // random number of further deliveries (or a random time, whichever comes first), mid-batch,
    // with mails and requests in flight.
    const seen = () => stack.smtp.received.length + stack.hooks.received.length;
    const kills: { pid: number; received: number; atMs: number; by: string }[] = [];
    const watch = watchDeliveryErrors(stack.db.db);
    let restartedAt = published;
    try {
      for (let k = 0; k < KILLS; k++) {
        const at = seen() + GAP.min + Math.floor(random() * (GAP.max - GAP.min));
        const killBy = performance.now() + KILL_BY_MS.min + random() * (KILL_BY_MS.max - KILL_BY_MS.min);
        const current = server;
        const by = await waitFor(
          () => (seen() >= at ? 'count' : performance.now() >= killBy ? 'time' : undefined),
          60_000,
          async () => `${at} receipts before kill ${k + 1} (have ${seen()}; ${JSON.stringify(await fanOutStates(stack.db.db))})\n${current.output().slice(-3000)}`,
          5,
        );
        expect(current.alive(), `${current.name} died on its own before kill ${k + 1}\n${current.output().slice(-3000)}`).toBe(true);
        const exit = await current.kill('SIGKILL');
        expect(exit.signal).toBe('SIGKILL');
        kills.push({ pid: current.pid, received: seen(), atMs: Math.round(performance.now() - published), by });
        server = await startServe(`serve-${k + 2}`, env);
        restartedAt = performance.now();
        servers.push(server);
      }
      console.log(`fanout-kill: killed at ${kills.map((k) => `${k.received} receipts (${(k.atMs / 1000).toFixed(1)} s, by ${k.by})`).join(', ')}`);
      const last = server;
      await waitFor(
        async () => {
          const states = await fanOutStates(stack.db.db);
          if (states.dead) throw new Error(`dead deliveries: ${JSON.stringify(states)}`);
          return states.delivered === TOTAL ? states : undefined;
        },
        FINISH_TIMEOUT_MS,
        async () => `every delivery to be delivered (${JSON.stringify(await fanOutStates(stack.db.db))}, sinks ${seen()})\n${last.output().slice(-3000)}`,
        500,
      );
    } finally {
      await watch.stop();
    }
    const finalServer = server;
    const allDeliveredMs = performance.now() - published;
    const afterRestartMs = performance.now() - restartedAt;
    expect(afterRestartMs, 'all delivered within 20 s of the last restart').toBeLessThanOrEqual(AFTER_RESTART_MS);
    expect(finalServer.alive(), finalServer.output().slice(-3000)).toBe(true);

    // The database: every email and webhook delivery delivered, nothing dead or still open;
    // the single-delivery targets (no Statuspage or chat configured) skipped.
    const rows = await deliveryRows(stack.db.db);
    const fanOut = rows.filter((r) => r.target === 'email' || r.target === 'webhook');
    expect(fanOut).toHaveLength(TOTAL);
    expect(sample(fanOut.filter((r) => r.state !== 'delivered'))).toEqual([]);
    expect(rows.filter((r) => r.target !== 'email' && r.target !== 'webhook').map((r) => `${r.target}:${r.state}`).sort()).toEqual(['announce:skipped', 'statuspage:skipped']);

    // Email: every subscriber's one Message-ID arrived, to that subscriber; a repeat carries the same Message-ID.
    const emailRows = fanOut.filter((r) => r.target === 'email');
    const expectedMail = new Map(emailRows.map((r) => [`<update.${updateId}.${r.subscriber_id}@${MAIL_DOMAIN}>`, r.address!]));
    const mail = countKeys(stack.smtp.received.map((m) => m.messageId));
    expect(sample([...expectedMail.keys()].filter((id) => !mail.counts.has(id)))).toEqual([]);
    expect(sample([...mail.counts.keys()].filter((id) => !expectedMail.has(id)))).toEqual([]);
    expect(sample(stack.smtp.received.filter((m) => m.to.length !== 1 || m.to[0] !== expectedMail.get(m.messageId)))).toEqual([]);
    const idsPerRecipient = new Map<string, Set<string>>();
    for (const m of stack.smtp.received) idsPerRecipient.set(m.to[0]!, (idsPerRecipient.get(m.to[0]!) ?? new Set()).add(m.messageId));
    expect(idsPerRecipient.size).toBe(EMAILS);
    expect(sample([...idsPerRecipient].filter(([, ids]) => ids.size !== 1))).toEqual([]);

    // Webhooks: every subscriber's URL got its delivery's webhook-id, signature verified; a repeat carries the same id.
    const hookRows = fanOut.filter((r) => r.target === 'webhook');
    const expectedHooks = new Map(hookRows.map((r) => [deliveryKey(updateId, 'webhook', r.subscriber_id!), new URL(r.address!).pathname]));
    const hook = countKeys(stack.hooks.received.map((h) => h.id));
    expect(stack.hooks.rejected).toEqual([]);
    expect(sample([...expectedHooks.keys()].filter((id) => !hook.counts.has(id)))).toEqual([]);
    expect(sample([...hook.counts.keys()].filter((id) => !expectedHooks.has(id)))).toEqual([]);
    expect(sample(stack.hooks.received.filter((h) => h.path !== expectedHooks.get(h.id) || h.updateId !== updateId))).toEqual([]);
    const idsPerUrl = new Map<string, Set<string>>();
    for (const h of stack.hooks.received) idsPerUrl.set(h.path, (idsPerUrl.get(h.path) ?? new Set()).add(h.id));
    expect(idsPerUrl.size).toBe(WEBHOOKS);
    expect(sample([...idsPerUrl].filter(([, ids]) => ids.size !== 1))).toEqual([]);

    // The fan-out's final summary: reported once, by the server that finished it, with every delivery counted.
    const finals = await settledFinalReports(servers, updateId);
    expect(finals).toHaveLength(1);
    expect(finals[0]!.msg).toContain('email 5,000/5,000 · webhooks 5,000/5,000');

    console.log(
      `fanout-kill: ${TOTAL} delivered ${(allDeliveredMs / 1000).toFixed(1)} s after publish across ${KILLS} SIGKILLs, ${(afterRestartMs / 1000).toFixed(1)} s after the last restart; ` +
        `duplicates at the sinks: ${mail.duplicates} mails (same Message-ID), ${hook.duplicates} webhooks (same webhook-id); ` +
        `claims per delivery ${JSON.stringify(attemptsHistogram(fanOut))}; errors recorded ${JSON.stringify(watch.summary())}; test ${((performance.now() - began) / 1000).toFixed(1)} s`,
    );
  });
});
