import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { and, eq } from 'drizzle-orm';
import { type AlertsPart, createAlertsPart } from '../../src/alerts/part.ts';
import type { ChatPlatform } from '../../src/chat/platform.ts';
import type { Db } from '../../src/db/client.ts';
import * as t from '../../src/db/schema.ts';
import { createLogger } from '../../src/logger.ts';
import { buildServer, type Server } from '../../src/main.ts';
import type { Runtime } from '../../src/runtime.ts';

const FIXTURES = join(import.meta.dirname, '../fixtures/alerts');

/** A payload from test/fixtures/alerts (see its README for where each comes from), as a fresh object. */
export function fixture<T = { groupKey: string } & Record<string, unknown>>(name: string): T {
  return JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8')) as T;
}

type GroupPayload = { groupKey: string };
type PagerDutyPayload = { event: { id: string; event_type: string; data: { id: string; status?: string } } };

/** An Alertmanager or Grafana payload whose group key carries `tag`, so tests sharing a database do not share groups. */
export function inGroup<T extends GroupPayload>(payload: T, tag: string): T {
  return { ...payload, groupKey: `${payload.groupKey}#${tag}` };
}

/** A PagerDuty payload about incident `<id>-<tag>`, as event `<id>-<tag>`. */
export function onIncident<T extends PagerDutyPayload>(payload: T, tag: string): T {
  return { ...payload, event: { ...payload.event, id: `${payload.event.id}-${tag}`, data: { ...payload.event.data, id: `${payload.event.data.id}-${tag}` } } };
}

/** `v1=<hex HMAC-SHA256>` of the body under a secret, as PagerDuty signs. */
export function pagerDutySignature(body: string, secret: string): string {
  return `v1=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** POSTs a body (an object is sent as JSON) to a hook of the server at `base`. */
export async function postHook(base: string, source: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${base}/hooks/${source}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** The incident an alert group is linked to, the latest if several. */
export async function groupIncidents(db: Db, source: string, groupKey: string) {
  return db
    .select({ incident: t.incident, group: t.alertGroup })
    .from(t.alertGroup)
    .innerJoin(t.incident, eq(t.incident.id, t.alertGroup.incidentId))
    .where(and(eq(t.alertGroup.source, source), eq(t.alertGroup.groupKey, groupKey)))
    .orderBy(t.alertGroup.firstReceivedAt);
}

/** A silent server on 127.0.0.1 with the alerts part, announcing on `platform`; its worker is drained by hand (`alerts.worker.drain()`). */
export async function startAlertsServer(runtime: Runtime, platform: ChatPlatform): Promise<{ server: Server; alerts: AlertsPart; base: string }> {
  let alerts: AlertsPart | undefined;
  const server = await buildServer(runtime, {
    parts: [
      (deps) => {
        alerts = createAlertsPart(deps, { platforms: () => [platform], intervalMs: 60_000 })!;
        return alerts;
      },
    ],
    logger: createLogger({ level: 'silent' }),
    port: 0,
    host: '127.0.0.1',
  });
  return { server, alerts: alerts!, base: `http://127.0.0.1:${server.port}` };
}
