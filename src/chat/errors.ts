import { randomUUID } from 'node:crypto';
import { isDomainError } from '../core/errors.ts';
import type { I18n } from '../i18n.ts';
import type { Logger } from '../logger.ts';
import type { NeutralMessage } from './message.ts';

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

/**
 * The one place errors become words: domain errors get their localized message and the
 * usage of their verb; an unavailable database says "not recorded, try again"; anything
 * else is logged and answered with an apology carrying a reference id.
 */
export function errorMessage(e: unknown, i18n: I18n, lang: string, logger: Logger, zone = 'UTC'): NeutralMessage {
  const t = i18n.t(lang);
  if (isDomainError(e)) {
    const params = localizeParams(e.params, i18n, lang, zone);
    const lines = [t(`errors.${e.code}`, params)];
    // An unknown verb has no usage of its own: point at the list of commands instead.
    const usageOf = e.verb ?? (e.code === 'unknown_verb' ? 'help' : undefined);
    if (usageOf) lines.push(t('usage.label', { usage: t(`usage.${usageOf}`) }));
    return { text: lines[0]!, lines };
  }
  if (isDatabaseUnavailable(e)) {
    logger.warn({ err: e }, 'command not recorded: database unavailable');
    const text = t('errors.not_recorded');
    return { text, lines: [text] };
  }
  const reference = randomUUID().slice(0, 8);
  logger.error({ err: e, reference }, 'command failed');
  const text = t('errors.internal', { reference });
  return { text, lines: [text] };
}

/** Status names inside error parameters read in the reader's language. */
function localizeParams(params: Record<string, string | number>, i18n: I18n, lang: string, zone: string): Record<string, string | number> {
  const t = i18n.t(lang);
  const out: Record<string, string | number> = { ...params };
  for (const key of ['status', 'from', 'to'] as const) {
    const value = params[key];
    if (typeof value === 'string') out[key] = t(`common:status.${value}`, { defaultValue: value });
  }
  // An instant (future_time) reads in the reader's language and the team's zone, never as raw ISO.
  if (typeof params.at === 'string') out.value = i18n.formatDateTime(new Date(params.at), lang, zone);
  if (typeof params.argument === 'string') out.argument = t(`argument.${params.argument}`, { defaultValue: params.argument });
  return out;
}
