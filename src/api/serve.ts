import type { Context } from 'hono';
import type { z } from 'zod';
import type { Db } from '../db/client.ts';
import type { App, AppEnv } from '../http.ts';
import type { I18n } from '../i18n.ts';
import type { Logger } from '../logger.ts';
import { pageLanguage } from '../manager/page-access.ts';
import { claimKey, receiptKey, releaseKey, requestHash, type StoredAnswer, storeAnswer } from './idempotency.ts';
import { API_BASE } from './incidents.ts';
import { ApiProblem, type FieldLocation, fieldErrors, PROBLEM_TYPE, toProblem } from './problem.ts';
import type { ApiAnswer, RouteSpec } from './route.ts';
import { IdempotencyHeaders } from './schemas.ts';
import { authenticateToken, type ApiCaller } from './tokens.ts';

/** Largest request body accepted: a command is at most a few KB. */
export const MAX_BODY_BYTES = 64 * 1024;

/** Header set on an answer replayed for an Idempotency-Key. */
export const REPLAYED_HEADER = 'Idempotency-Replayed';

export interface ServeDeps {
  db: Db;
  i18n: I18n;
  logger: Logger;
  languages: readonly string[];
  now: () => Date;
  /** The team's zone, for instants in refusals. */
  zone: string;
}

/** `/incidents/{number}` → `/api/v1/incidents/:number`, as Hono routes it. */
export function honoPath(path: string): string {
  return API_BASE + path.replace(/\{(\w+)\}/g, ':$1');
}

/**
 * Registers each route with the same request pipeline — token, validation of path, query,
 * headers and body, Idempotency-Key, one error mapper — then a problem 404 for anything else
 * under /api/v1.
 */
export function registerRoutes(app: App, routes: readonly RouteSpec[], deps: ServeDeps): void {
  for (const spec of routes) app.on(spec.method.toUpperCase(), honoPath(spec.path), (c) => serve(c, spec, deps));
  const notFound = (c: Context<AppEnv>) => problemResponse(c, new ApiProblem(404, 'not_found', { path: c.req.path }), deps, pageLanguage(c, deps.languages));
  app.all(API_BASE, notFound);
  app.all(`${API_BASE}/*`, notFound);
}

async function serve(c: Context<AppEnv>, spec: RouteSpec, deps: ServeDeps): Promise<Response> {
  const lang = pageLanguage(c, deps.languages);
  let claimed: { tokenId: string; key: string } | undefined;
  try {
    const caller = spec.authenticated === false ? { tokenId: '', name: '' } : await authenticate(c, deps);
    const params = spec.params ? validate(spec.params, c.req.param(), 'path', deps, lang) : {};
    const query = spec.query ? validate(spec.query, c.req.query(), 'query', deps, lang) : {};
    const raw = spec.body ? await readBody(c) : '';
    const body = spec.body ? validate(spec.body, parseJson(raw), 'body', deps, lang) : undefined;
    let key: string | undefined;
    if (spec.idempotent) {
      const headers = validate(IdempotencyHeaders, { 'idempotency-key': c.req.header('idempotency-key') }, 'header', deps, lang);
      key = headers['idempotency-key'];
    }
    if (key) {
      const claim = await claimKey(deps.db, { tokenId: caller.tokenId, key, hash: requestHash(c.req.method, c.req.path, raw), now: deps.now() });
      if (claim.kind === 'replay') return stored(c, claim.answer);
      if (claim.kind === 'mismatch') throw new ApiProblem(422, 'idempotency_mismatch', { key });
      if (claim.kind === 'in_progress') {
        c.header('Retry-After', '1');
        throw new ApiProblem(409, 'idempotency_in_progress', { key });
      }
      claimed = { tokenId: caller.tokenId, key };
    }
    const answer = await spec.handle({ c, caller, lang, params, query, body, receiptKey: claimed && receiptKey(claimed.tokenId, claimed.key) });
    const rendered = render(answer, lang);
    if (claimed) {
      // Only an answer that recorded something is kept; a refusal recorded nothing, and its key may be used again.
      const { tokenId, key: claimedKey } = claimed;
      claimed = undefined;
      // The command has committed: failing to keep its answer must not say otherwise. The key then
      // counts as running until IN_PROGRESS_MS, and a retry after that is answered from the receipt.
      const keep = answer.status < 400 ? storeAnswer(deps.db, tokenId, claimedKey, rendered) : releaseKey(deps.db, tokenId, claimedKey);
      await keep.catch((err: unknown) => deps.logger.warn({ err, key: claimedKey }, 'could not keep the answer of an Idempotency-Key'));
    }
    return c.body(rendered.body, rendered.status as 200, rendered.headers);
  } catch (e) {
    if (claimed) {
      const { tokenId, key } = claimed;
      await releaseKey(deps.db, tokenId, key).catch((err: unknown) => deps.logger.warn({ err, key }, 'could not release an Idempotency-Key'));
    }
    return problemResponse(c, e, deps, lang);
  }
}

async function authenticate(c: Context<AppEnv>, deps: ServeDeps): Promise<ApiCaller> {
  const token = /^Bearer +(\S+) *$/i.exec(c.req.header('authorization') ?? '')?.[1];
  const caller = token ? await authenticateToken(deps.db, token, deps.now()) : undefined;
  if (!caller) {
    c.header('WWW-Authenticate', token ? 'Bearer realm="tsuiki", error="invalid_token"' : 'Bearer realm="tsuiki"');
    throw new ApiProblem(401, 'unauthorized');
  }
  return caller;
}

function validate<S extends z.ZodType>(schema: S, input: unknown, where: FieldLocation, deps: ServeDeps, lang: string): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const errors = fieldErrors(result.error, where, input, deps.i18n, lang);
  throw new ApiProblem(400, 'validation', { count: errors.length }, { errors });
}

async function readBody(c: Context<AppEnv>): Promise<string> {
  const type = c.req.header('content-type');
  // No type at all is read as JSON (a bare `curl --data-binary`); any other type is refused.
  if (type && !/^application\/(?:[\w.+-]*\+)?json\s*(?:;|$)/i.test(type)) throw new ApiProblem(415, 'unsupported_media_type');
  const declared = Number(c.req.header('content-length') ?? 0);
  if (declared > MAX_BODY_BYTES) throw new ApiProblem(413, 'body_too_large', { max: MAX_BODY_BYTES });
  const raw = await c.req.text();
  if (Buffer.byteLength(raw) > MAX_BODY_BYTES) throw new ApiProblem(413, 'body_too_large', { max: MAX_BODY_BYTES });
  return raw;
}

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    throw new ApiProblem(400, 'bad_json');
  }
}

function render(answer: ApiAnswer, lang: string): StoredAnswer {
  const headers: Record<string, string> = { 'Content-Language': lang, 'Cache-Control': 'no-store', ...answer.headers };
  if (answer.text) return { status: answer.status, headers: { ...headers, 'Content-Type': answer.text.contentType }, body: answer.text.body };
  return { status: answer.status, headers: { ...headers, 'Content-Type': 'application/json; charset=utf-8' }, body: JSON.stringify(answer.json) };
}

function stored(c: Context<AppEnv>, answer: StoredAnswer): Response {
  return c.body(answer.body, answer.status as 200, { ...answer.headers, [REPLAYED_HEADER]: 'true' });
}

function problemResponse(c: Context<AppEnv>, e: unknown, deps: ServeDeps, lang: string): Response {
  const problem = toProblem(e, { i18n: deps.i18n, lang, instance: c.req.path, logger: deps.logger, zone: deps.zone });
  return c.body(JSON.stringify(problem), problem.status as 400, { 'Content-Type': PROBLEM_TYPE, 'Content-Language': lang, 'Cache-Control': 'no-store' });
}
