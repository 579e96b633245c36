import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { z } from 'zod';
import type { Clock } from '../core/clock.ts';
import type { Db } from '../db/client.ts';
import type { App, AppEnv } from '../http.ts';
import type { I18n } from '../i18n.ts';
import type { Logger } from '../logger.ts';
import { pageLanguage } from '../manager/page-access.ts';
import { receive } from '../outbox/inbox.ts';
import { ALERT_SOURCES, type AlertSource, alertLane, nestsDeeperThan } from './delivery.ts';
import { ALERT_SOURCE_DEFINITIONS } from './sources/index.ts';
import { verifyPagerDutySignature } from './sources/pagerduty.ts';

/** The inbox platform of alert deliveries; its worker processes only these. */
export const ALERTS_PLATFORM = 'alerts';

/** How deep a body may nest: an Alertmanager payload is four levels deep, Grafana's five. */
const MAX_DEPTH = 32;

/** Alertmanager groups can be large; far larger is not an alert. */
export const MAX_ALERT_BODY_BYTES = 1024 * 1024;

export interface AlertRoutesDeps {
  db: Db;
  clock: Clock;
  i18n: I18n;
  languages: readonly string[];
  logger: Logger;
  /** ALERTS_TOKEN: without it the bearer hooks are not served (404). */
  alertsToken: string | undefined;
  /** PAGERDUTY_WEBHOOK_SECRET, split: without any, /hooks/pagerduty is not served (404). */
  pagerdutySecrets: readonly string[];
  /** Called once a delivery is stored: the worker looks now instead of at its next poll. */
  onStored: () => void;
  maxBodyBytes?: number;
}

type ProblemKey = 'unauthorized' | 'badSignature' | 'invalidJson' | 'invalidPayload' | 'tooLarge' | 'unavailable';

/**
 * An RFC 9457 problem document in the language the client asked for (Accept-Language).
 * `about:blank`: the status says what went wrong, the title is its phrase, the detail what to do.
 */
function problem(
  c: Context<AppEnv>,
  deps: AlertRoutesDeps,
  status: 400 | 401 | 413 | 503,
  key: ProblemKey,
  params: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Response {
  const lang = pageLanguage(c, deps.languages);
  const tr = deps.i18n.t(lang);
  const body = { type: 'about:blank', title: tr(`alerts:problem.${key}.title`), status, detail: tr(`alerts:problem.${key}.detail`, params), instance: c.req.path, ...extra };
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/problem+json', 'Content-Language': lang, ...headers } });
}

/** Zod's issues as JSON pointers into the body, as the problem document's `errors` member lists them. */
function errorsOf(issues: z.core.$ZodIssue[]): { pointer: string; detail: string }[] {
  return issues.slice(0, 20).map((i) => ({ pointer: `#/${i.path.map((p) => String(p).replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}`, detail: i.message }));
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** `Authorization: Bearer <token>` equal to the expected one, compared in constant time (of equal-length digests). */
export function bearerMatches(header: string | undefined, expected: string): boolean {
  const token = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')?.[1];
  return token !== undefined && timingSafeEqual(digest(token), digest(expected));
}

/**
 * `POST /hooks/<source>`: authenticate, read, validate, then store in the inbox and answer
 * 202 — only once the row is durable. A rejected request (401, 400, 413) stores nothing; a
 * repeat delivery finds its row and stores nothing either. Sources whose secret is unset are
 * not served at all.
 */
export function registerAlertRoutes(app: App, deps: AlertRoutesDeps): AlertSource[] {
  const served: AlertSource[] = [];
  const maxSize = deps.maxBodyBytes ?? MAX_ALERT_BODY_BYTES;
  for (const source of ALERT_SOURCES) {
    const definition = ALERT_SOURCE_DEFINITIONS[source];
    const token = deps.alertsToken;
    if (definition.auth === 'bearer' ? !token : deps.pagerdutySecrets.length === 0) continue;
    served.push(source);
    app.post(`/hooks/${source}`, bodyLimit({ maxSize, onError: (c) => problem(c, deps, 413, 'tooLarge', { max: maxSize }) }), async (c) => {
      if (definition.auth === 'bearer' && !bearerMatches(c.req.header('authorization'), token!)) {
        return problem(c, deps, 401, 'unauthorized', {}, {}, { 'WWW-Authenticate': 'Bearer realm="tsuiki alerts"' });
      }
      const body = new Uint8Array(await c.req.arrayBuffer());
      // PagerDuty signs the bytes it sent: checked before they are decoded or parsed.
      if (definition.auth === 'pagerduty-signature' && !verifyPagerDutySignature(body, c.req.header('x-pagerduty-signature'), deps.pagerdutySecrets)) {
        return problem(c, deps, 401, 'badSignature');
      }
      let json: unknown;
      try {
        json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
      } catch {
        return problem(c, deps, 400, 'invalidJson');
      }
      // Far deeper than any source sends; stored bodies are walked recursively (made storable).
      if (nestsDeeperThan(json, MAX_DEPTH)) return problem(c, deps, 400, 'invalidPayload', { source }, { errors: [{ pointer: '#', detail: `nested deeper than ${MAX_DEPTH} levels` }] });
      const parsed = definition.parse(json);
      if (parsed.kind === 'invalid') return problem(c, deps, 400, 'invalidPayload', { source }, { errors: errorsOf(parsed.issues) });
      // An event tsuiki does not act on (a PagerDuty acknowledgement): accepted, nothing to keep.
      if (parsed.kind === 'ignored') return c.body(null, 204);
      try {
        const stored = await receive(
          deps.db,
          { platform: ALERTS_PLATFORM, kind: source, deliveryKey: parsed.deliveryKey, lane: alertLane(source, parsed.delivery.groupKey), payload: json as Record<string, unknown> },
          deps.clock.now(),
        );
        if (!stored.duplicate) deps.onStored();
        return c.json({ accepted: true, duplicate: stored.duplicate }, 202);
      } catch (e) {
        // 5xx: Alertmanager, Grafana and PagerDuty all send it again later.
        deps.logger.warn({ err: e, source }, 'could not store an alert delivery');
        return problem(c, deps, 503, 'unavailable', {}, {}, { 'Retry-After': '10' });
      }
    });
  }
  return served;
}
