import { createHmac } from 'node:crypto';
import type { Clock } from '../core/clock.ts';
import { type DeliveryItem, type PublishChannel, type PublishedUpdate, type Recipient, TerminalDeliveryError } from './channel.ts';
import { sendHttp } from './http-target.ts';

/**
 * The JSON body of a webhook: every language of the update there is, structured parts
 * untranslated. `incident.updated` carries the update once (after waiting for its
 * translations); `update.translated` follows for each language that arrived after it,
 * with every language there is by then, `translated_lang` naming the new one.
 */
export function webhookPayload(update: PublishedUpdate, publicUrl: string, followUp?: DeliveryItem['followUp']) {
  return {
    type: followUp ? 'update.translated' : 'incident.updated',
    timestamp: update.publishedAt.toISOString(),
    data: {
      incident: {
        id: update.incidentId,
        ref: `INC-${update.incidentNumber}`,
        number: update.incidentNumber,
        title: update.incidentTitle,
        url: `${publicUrl}/status/incidents/${update.incidentId}`,
      },
      update: {
        id: update.id,
        status: update.status,
        published_at: update.publishedAt.toISOString(),
        source_lang: update.sourceLang,
        body: update.bodies,
        ...(followUp ? { translated_lang: followUp.lang } : {}),
      },
      components: update.components.map((c) => ({ id: c.id, name: c.name, names: c.names, impact: c.impact })),
    },
  };
}

/**
 * Standard Webhooks signature: `v1,` + base64 HMAC-SHA256 over `<id>.<timestamp>.<body>`
 * with the secret's bytes (the base64 after `whsec_`).
 */
export function signWebhook(secret: string, id: string, timestampSeconds: number, body: string): string {
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestampSeconds}.${body}`).digest('base64')}`;
}

/** The spec asks senders to wait 15–30 s for an answer before counting the attempt as failed. */
export const WEBHOOK_TIMEOUT_MS = 15_000;

/** The webhook target, which also posts other signed bodies (maintenance notices) the same way. */
export interface WebhookChannel extends PublishChannel {
  /** Posts `body` signed with the recipient's secret under `webhook-id: id` (the same on every retry); 410 Gone disables the recipient. */
  post(recipient: Recipient, body: string, id: string): Promise<void>;
}

/**
 * The webhook target. `webhook-id` is the delivery's idempotency key, the same on every
 * retry, so a receiver drops a repeat; the timestamp is the attempt's, as the spec asks.
 * `410 Gone` means the receiver asks to be removed (Standard Webhooks:
 * disable the endpoint): `onGone` marks the subscriber so nothing more is sent, and the
 * delivery fails terminally with a message that says so, which the progress report shows.
 */
export function createWebhookChannel(options: {
  clock: Clock;
  publicUrl: string;
  timeoutMs?: number;
  onGone?: (recipient: Recipient) => Promise<void>;
}): WebhookChannel {
  // Every subscriber of an update gets the same body: a fan-out serializes it once.
  const bodies = new Map<string, string>();
  const bodyOf = (update: PublishedUpdate, followUp: DeliveryItem['followUp']) => {
    // Translations arrive after publishing: the languages there are part of the key.
    const key = `${update.id}:${Object.keys(update.bodies).sort().join(',')}:${followUp?.lang ?? ''}`;
    let body = bodies.get(key);
    if (body === undefined) {
      if (bodies.size >= 64) bodies.delete(bodies.keys().next().value!);
      body = JSON.stringify(webhookPayload(update, options.publicUrl, followUp));
      bodies.set(key, body);
    }
    return body;
  };
  return {
    target: 'webhook',
    async deliver(item: DeliveryItem) {
      const recipient = item.recipient;
      if (!recipient) throw new TerminalDeliveryError('webhook delivery without a subscriber');
      if (!recipient.secret) throw new TerminalDeliveryError(`webhook ${recipient.address} has no secret`);
      const body = bodyOf(item.update, item.followUp);
      const timestamp = Math.floor(options.clock.now().getTime() / 1000);
      await send(recipient, recipient.secret, body, timestamp, item.idempotencyKey);
    },
    async post(recipient, body, id) {
      if (!recipient.secret) throw new TerminalDeliveryError(`webhook ${recipient.address} has no secret`);
      await send(recipient, recipient.secret, body, Math.floor(options.clock.now().getTime() / 1000), id);
    },
  };

  async function send(recipient: Recipient, secret: string, body: string, timestamp: number, id: string): Promise<void> {
    try {
      await sendHttp(
        recipient.address,
        {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'user-agent': 'tsuiki-webhooks',
            'webhook-id': id,
            'webhook-timestamp': String(timestamp),
            'webhook-signature': signWebhook(secret, id, timestamp, body),
          },
          body,
        },
        () => options.clock.now(),
        options.timeoutMs ?? WEBHOOK_TIMEOUT_MS,
      );
    } catch (e) {
      if (!(e instanceof TerminalDeliveryError) || !e.message.startsWith('HTTP 410')) throw e;
      await options.onGone?.(recipient);
      throw new TerminalDeliveryError(`${e.message.slice(0, 200)} — endpoint disabled (410 Gone); it gets nothing more until subscribed again`);
    }
  }
}
