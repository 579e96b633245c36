import { and, eq } from 'drizzle-orm';
import type { Clock } from '../core/clock.ts';
import type { Db } from '../db/client.ts';
import * as t from '../db/schema.ts';
import { bodyFor, type DeliveryItem, type PublishChannel, type PublishedUpdate, TerminalDeliveryError } from './channel.ts';
import { sendHttp } from './http-target.ts';

export interface StatuspageSettings {
  apiKey: string;
  pageId: string;
  /** STATUSPAGE_API_URL; Atlassian's by default. */
  apiUrl?: string;
  /** Language of the text sent (Statuspage holds one); the source text when untranslated. */
  lang: string;
  db: Db;
  clock: Clock;
  /** Least time between two requests: Statuspage allows 1 per second per key. */
  minIntervalMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

/** Statuspage's incident status for ours (`closed` is `resolved` there). */
const statusFor = (status: PublishedUpdate['status']) => (status === 'closed' ? 'resolved' : status);

/** The `incident` object of a create or update request. */
export function statuspageIncident(update: PublishedUpdate, lang: string, create: boolean) {
  const over = update.status === 'resolved' || update.status === 'closed';
  const mapped = update.components.filter((c) => c.statuspageId);
  const components = Object.fromEntries(mapped.map((c) => [c.statuspageId!, over ? 'operational' : c.impact]));
  return {
    ...(create ? { name: update.incidentTitle.slice(0, 255) } : {}),
    status: statusFor(update.status),
    body: bodyFor(update, lang).body.slice(0, 25_000),
    ...(mapped.length ? { component_ids: mapped.map((c) => c.statuspageId!), components } : {}),
    deliver_notifications: true,
  };
}

/**
 * Serializes calls with at least `minIntervalMs` between their starts; per process, which
 * is what the 1 request/s limit needs when one process runs the target (a 429 from a
 * second process is retried after its Retry-After).
 */
export function createSpacer(minIntervalMs: number, now: () => number, sleep: (ms: number) => Promise<void>) {
  let chain: Promise<unknown> = Promise.resolve();
  let last = Number.NEGATIVE_INFINITY;
  return <T>(work: () => Promise<T>): Promise<T> => {
    const run = chain.then(async () => {
      const wait = last + minIntervalMs - now();
      if (wait > 0) await sleep(wait);
      last = now();
      return work();
    });
    chain = run.catch(() => {});
    return run;
  };
}

/**
 * The Atlassian Statuspage target: the first update of an incident creates it there, later
 * ones update it; components are mapped through `component.statuspage_id`. The outbox
 * keeps one incident's Statuspage deliveries in order, so the create comes first.
 */
export function createStatuspageChannel(settings: StatuspageSettings): PublishChannel {
  const base = (settings.apiUrl ?? 'https://api.statuspage.io/v1').replace(/\/+$/, '');
  const spaced = createSpacer(settings.minIntervalMs ?? 1_000, () => Date.now(), settings.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))));
  const headers = { authorization: `OAuth ${settings.apiKey}`, 'content-type': 'application/json' };
  const now = () => settings.clock.now();
  const x = t.externalIncident;

  return {
    target: 'statuspage',
    async deliver(item: DeliveryItem) {
      const update = item.update;
      const [known] = await settings.db
        .select({ externalId: x.externalId })
        .from(x)
        .where(and(eq(x.incidentId, update.incidentId), eq(x.target, 'statuspage')));
      const pageUrl = `${base}/pages/${encodeURIComponent(settings.pageId)}/incidents`;
      if (known) {
        const body = JSON.stringify({ incident: statuspageIncident(update, settings.lang, false) });
        await spaced(() => sendHttp(`${pageUrl}/${encodeURIComponent(known.externalId)}`, { method: 'PATCH', headers, body }, now));
        return;
      }
      const body = JSON.stringify({ incident: statuspageIncident(update, settings.lang, true) });
      const response = await spaced(() => sendHttp(pageUrl, { method: 'POST', headers, body }, now));
      const created = (await response.json().catch(() => ({}))) as { id?: unknown };
      if (typeof created.id !== 'string') throw new TerminalDeliveryError('Statuspage answered without an incident id');
      await settings.db
        .insert(x)
        .values({ incidentId: update.incidentId, target: 'statuspage', externalId: created.id, createdAt: now() })
        .onConflictDoNothing();
    },
  };
}
