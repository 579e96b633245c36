/**
 * Every failure a person can cause or fix; each adapter maps the code to a localized
 * message (`errors.<code>` in locales/<lang>/bot.json) in one place.
 */
export const ERROR_CODES = [
  'unknown_verb',
  'missing_argument',
  'bad_argument',
  'bad_time',
  'future_time',
  'before_incident',
  'status_overtaken',
  'bad_severity',
  'bad_status',
  'bad_impact',
  'bad_option',
  'text_too_long',
  'incident_required',
  'incident_not_found',
  'not_responder',
  'same_status',
  'bad_transition',
  'incident_closed',
  'not_resolved',
  'unknown_component',
  'bad_minutes',
  'bad_url',
  'conflict',
  'private_incident',
  'approval_required',
  'update_not_found',
  'update_not_draft',
  'unknown_language',
  'not_recorded',
  'bad_window',
  'bad_maintenance_status',
  'maintenance_not_found',
  'maintenance_finished',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** A failure with a stable code and the values its localized message interpolates. */
export class DomainError extends Error {
  readonly code: ErrorCode;
  readonly params: Record<string, string | number>;
  /** The verb whose usage should accompany the message, when there is one. */
  readonly verb: string | undefined;

  constructor(code: ErrorCode, params: Record<string, string | number> = {}, verb?: string) {
    super(`${code} ${JSON.stringify(params)}`);
    this.name = 'DomainError';
    this.code = code;
    this.params = params;
    this.verb = verb;
  }

  /** The same error, now knowing which verb's usage to show. */
  withVerb(verb: string): DomainError {
    return this.verb ? this : new DomainError(this.code, this.params, verb);
  }
}

export function isDomainError(e: unknown): e is DomainError {
  return e instanceof DomainError;
}
