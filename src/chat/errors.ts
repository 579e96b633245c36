import { randomUUID } from 'node:crypto';
import { isDomainError } from '../core/errors.ts';
import type { I18n } from '../i18n.ts';
import type { Logger } from '../logger.ts';
import { isDatabaseUnavailable } from '../db/errors.ts';
import type { NeutralMessage } from './message.ts';

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
  // Instants of a refused time (before_incident, status_overtaken) read the same way.
  for (const key of ['meantAt', 'beganAt', 'laterAt'] as const) {
    const value = params[key];
    if (typeof value === 'string') out[key] = i18n.formatDateTime(new Date(value), lang, zone);
  }
  if (typeof params.argument === 'string') out.argument = t(`argument.${params.argument}`, { defaultValue: params.argument });
  return out;
}

/** The database was away: nothing was recorded, and a stored request is to be run again later. */
export class RetryLaterError extends Error {
  constructor(cause: unknown) {
    super('the database did not answer; run the request again later', { cause });
    this.name = 'RetryLaterError';
  }
}
