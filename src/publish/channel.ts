import type { TFunction } from 'i18next';
import type { Impact, Status } from '../core/model.ts';

/** Where a delivery goes; one value per `delivery.target`. */
export type TargetName = 'email' | 'webhook' | 'chat' | 'announce' | 'statuspage';

/** A component of the incident as targets need it. */
export interface PublishedComponent {
  id: string;
  name: string;
  names: Record<string, string>;
  statuspageId: string | null;
  impact: Impact;
}

/** One published public update with everything a target renders; the same for every subscriber. */
export interface PublishedUpdate {
  id: string;
  incidentId: string;
  incidentNumber: number;
  incidentTitle: string;
  status: Status;
  publishedAt: Date;
  sourceLang: string;
  /** The update's text per language; the source language is always there. */
  bodies: Record<string, string>;
  components: PublishedComponent[];
  /** Every public update of the incident so far, oldest first, ids only (threading). */
  firstUpdateId: string;
}

/** A subscriber as targets see it. */
export interface Recipient {
  id: string;
  kind: string;
  address: string;
  lang: string;
  timeZone: string;
  secret: string | null;
  unsubscribeToken: string;
}

/** One delivery to perform. */
export interface DeliveryItem {
  deliveryId: string;
  /** `update:<id>:<target>:<subscriber|->`; targets pass it on where the wire allows (webhook-id). */
  idempotencyKey: string;
  target: TargetName;
  attempt: number;
  update: PublishedUpdate;
  recipient?: Recipient;
  /**
   * Set on a follow-up: the update already went out in its source language (under the
   * untranslated notice) and this delivery carries the translation into `lang`, as its own
   * message in the same thread.
   */
  followUp?: { lang: string };
}

/**
 * A publishing target. `deliver` resolves when the target accepted the update; it throws
 * `RetryableDeliveryError` for what may pass (timeouts, 5xx, 429) and
 * `TerminalDeliveryError` for what never will (4xx, a rejected address). Anything else
 * thrown is treated as retryable.
 */
export interface PublishChannel {
  readonly target: TargetName;
  deliver(item: DeliveryItem): Promise<void>;
  close?(): Promise<void>;
}

/** Worth trying again later; `retryAfterMs` is the target's own `Retry-After`, a floor for the backoff. */
export class RetryableDeliveryError extends Error {
  constructor(
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'RetryableDeliveryError';
  }
}

/** Will never succeed as is; the delivery goes straight to the dead state. */
export class TerminalDeliveryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TerminalDeliveryError';
  }
}

/** Classifies an HTTP response status: success, retryable (408, 425, 429, 5xx) or terminal (other 4xx). */
export function errorForStatus(status: number, body: string, retryAfterMs?: number): Error | undefined {
  if (status >= 200 && status < 300) return undefined;
  const message = `HTTP ${status}${body ? `: ${body.slice(0, 200)}` : ''}`;
  if (status === 408 || status === 425 || status === 429 || status >= 500) return new RetryableDeliveryError(message, retryAfterMs);
  return new TerminalDeliveryError(message);
}

/** The body in the reader's language, else the source language. */
export function bodyFor(update: PublishedUpdate, lang: string): { lang: string; body: string } {
  const body = update.bodies[lang];
  return body !== undefined ? { lang, body } : { lang: update.sourceLang, body: update.bodies[update.sourceLang] ?? '' };
}

/** The language's own name for another language (`英語` for `en` in `ja`). */
export function languageName(lang: string, inLang: string): string {
  try {
    return new Intl.DisplayNames([inLang], { type: 'language' }).of(lang) ?? lang;
  } catch {
    return lang;
  }
}

/** A component's name in a language, else its default name. */
export function componentName(component: PublishedComponent, lang: string): string {
  return component.names[lang] ?? component.name;
}

/**
 * The body a reader in `lang` gets (see {@link bodyFor}) and the notice that goes with it:
 * untranslated, the source text under a notice naming its language; a follow-up (the
 * translation sent after it), a notice saying what it translates.
 */
export function bodyWithNotice(update: PublishedUpdate, lang: string, tr: TFunction, followUp?: DeliveryItem['followUp']): { lang: string; body: string; notice: string | undefined } {
  const { lang: bodyLang, body } = bodyFor(update, lang);
  const notice =
    bodyLang !== lang
      ? tr('email:untranslated', { language: languageName(bodyLang, lang) })
      : followUp
        ? tr('email:translated.notice', { language: languageName(update.sourceLang, lang) })
        : undefined;
  return { lang: bodyLang, body, notice };
}

/** Each affected component as `name (impact)` in `lang`. */
export function componentImpacts(update: PublishedUpdate, lang: string, tr: TFunction): string[] {
  return update.components.map((c) => `${componentName(c, lang)} (${tr(`common:impact.${c.impact}`)})`);
}
