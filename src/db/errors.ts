/** PostgreSQL and driver error codes meaning the command never ran, or its outcome is unknown. */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '40001', // serialization_failure: the transaction rolled back, safe to retry
  '40P01', // deadlock_detected: likewise
]);

/** True when the database could not run the command at all, so nothing was recorded and a retry may work. */
export function isDatabaseUnavailable(e: unknown): boolean {
  for (let err = e as { code?: unknown; cause?: unknown } | undefined, depth = 0; err && depth < 5; depth++) {
    if (typeof err.code === 'string' && (UNAVAILABLE_CODES.has(err.code) || err.code.startsWith('08'))) return true;
    err = err.cause as typeof err;
  }
  return false;
}
