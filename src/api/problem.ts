import type { z } from 'zod';
import { errorMessage } from '../chat/errors.ts';
import { type ErrorCode, isDomainError } from '../core/errors.ts';
import { isDatabaseUnavailable } from '../db/errors.ts';
import type { I18n } from '../i18n.ts';
import type { Logger } from '../logger.ts';
import type { Problem, ProblemCode } from './schemas.ts';

/** Media type of every error answer (RFC 9457). */
export const PROBLEM_TYPE = 'application/problem+json';

/** A refusal of the API's own (not of a use case): its code, status and the values its message interpolates. */
export class ApiProblem extends Error {
  override name = 'ApiProblem';
  constructor(
    readonly status: number,
    readonly code: ProblemCode,
    readonly params: Record<string, string | number> = {},
    readonly extra: Pick<Problem, 'errors'> = {},
  ) {
    super(`${code} ${JSON.stringify(params)}`);
  }
}

/**
 * HTTP status of each use-case refusal: what the caller asked cannot be read (400), the
 * incident is not there (404), or the incident is not in a state that allows it (409).
 */
const DOMAIN_STATUS: Partial<Record<ErrorCode, number>> = {
  incident_not_found: 404,
  update_not_found: 404,
  maintenance_not_found: 404,
  not_responder: 403,
  same_status: 409,
  bad_transition: 409,
  incident_closed: 409,
  not_resolved: 409,
  status_overtaken: 409,
  private_incident: 409,
  approval_required: 409,
  update_not_draft: 409,
  conflict: 409,
  bad_maintenance_status: 409,
  maintenance_finished: 409,
  not_recorded: 503,
};

/** `type` of a problem: a stable URI per code, listed in docs/alerts-and-api.md. */
export function problemType(code: string): string {
  return `urn:tsuiki:problem:${code}`;
}

/**
 * The one place an API failure becomes a problem document in the caller's language: the
 * API's own refusals, the use cases' refusals (worded by chat's error mapper, so the API says
 * what chat says, usage included), an unavailable database (503, nothing recorded), and
 * anything else — logged with a reference, answered 500.
 */
export function toProblem(e: unknown, input: { i18n: I18n; lang: string; instance: string; logger: Logger; zone: string }): Problem {
  const { i18n, lang, instance } = input;
  const tr = i18n.t(lang);
  const base = (status: number, code: ProblemCode, detail: string): Problem => ({
    type: problemType(code),
    title: tr(`api:titles.${status}`),
    status,
    detail,
    instance,
    code,
  });
  if (e instanceof ApiProblem) {
    const detail = tr(`api:problems.${e.code}`, e.params);
    return { ...base(e.status, e.code, detail), ...e.extra };
  }
  if (isDomainError(e) || isDatabaseUnavailable(e)) {
    const message = errorMessage(e, i18n, lang, input.logger, input.zone);
    const code: ErrorCode = isDomainError(e) ? e.code : 'not_recorded';
    const [detail, usage] = message.lines ?? [message.text];
    return { ...base(DOMAIN_STATUS[code] ?? 400, code, detail ?? message.text), ...(usage ? { usage } : {}) };
  }
  const reference = crypto.randomUUID().slice(0, 8);
  input.logger.error({ err: e, reference, instance }, 'API request failed');
  return { ...base(500, 'internal', tr('api:problems.internal', { reference })), reference };
}

/** Where a field that failed validation was sent. */
export type FieldLocation = 'body' | 'query' | 'path' | 'header';

/** Each bad field of a zod failure, worded in the caller's language. */
export function fieldErrors(error: z.ZodError, where: FieldLocation, input: unknown, i18n: I18n, lang: string): NonNullable<Problem['errors']> {
  const tr = i18n.t(lang);
  const out: NonNullable<Problem['errors']> = [];
  for (const issue of error.issues) {
    const path = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push({ field: [...path, key].join('.'), in: where, detail: tr('api:fields.unknown_field') });
      continue;
    }
    out.push({ field: path.join('.') || '(body)', in: where, detail: tr(`api:fields.${fieldKey(issue, valueAt(input, path))}`, fieldParams(issue, tr)) });
  }
  return out;
}

function valueAt(input: unknown, path: string[]): unknown {
  let value = input;
  for (const key of path) value = value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
  return value;
}

type Issue = z.core.$ZodIssue;

function fieldKey(issue: Issue, value: unknown): string {
  switch (issue.code) {
    case 'invalid_type':
      return value === undefined ? 'required' : 'invalid_type';
    case 'too_small':
    case 'too_big':
      return `${issue.code}_${issue.origin === 'string' ? 'string' : issue.origin === 'array' || issue.origin === 'set' ? 'array' : 'number'}`;
    case 'invalid_format':
      return issue.format === 'datetime' ? 'invalid_datetime' : 'invalid_format';
    case 'invalid_value':
    case 'invalid_union':
      return issue.code;
    case 'custom':
      return issue.params?.reason === 'time_zone' ? 'time_zone' : 'invalid';
    default:
      return 'invalid';
  }
}

function fieldParams(issue: Issue, tr: (key: string) => string): Record<string, string | number> {
  switch (issue.code) {
    case 'invalid_type':
      return { expected: tr(`api:types.${issue.expected === 'int' ? 'int' : issue.expected}`) };
    case 'too_small':
      return { minimum: Number(issue.minimum) };
    case 'too_big':
      return { maximum: Number(issue.maximum) };
    case 'invalid_value':
      return { values: issue.values.map((v) => String(v)).join(', ') };
    default:
      return {};
  }
}
