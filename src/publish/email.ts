import nodemailer from 'nodemailer';
import type { I18n } from '../i18n.ts';
import { bodyFor, componentName, type DeliveryItem, type PublishChannel, type PublishedUpdate, type Recipient, RetryableDeliveryError, TerminalDeliveryError } from './channel.ts';

export interface EmailSettings {
  /** `smtp://` or `smtps://` (SMTP_URL). */
  smtpUrl: string;
  /** MAIL_FROM, e.g. `Status <status@example.com>`. */
  from: string;
  publicUrl: string;
  i18n: I18n;
  /** Pooled SMTP connections kept open. */
  maxConnections?: number;
}

/** A rendered mail, ready for the transport. */
export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
  messageId: string;
  headers: Record<string, string>;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The domain of MAIL_FROM, used for Message-IDs so they stay unique to this sender. */
export function mailDomain(from: string): string {
  return /@([^>\s]+)/.exec(from)?.[1] ?? 'tsuiki.invalid';
}

/** The one-click unsubscribe link for a subscriber (RFC 8058 posts to it). */
export function unsubscribeUrl(publicUrl: string, token: string): string {
  return `${publicUrl}/status/unsubscribe?token=${encodeURIComponent(token)}`;
}

/**
 * One subscriber's mail for one update, in their language and time zone. Every mail of
 * an incident refers to the same root id, so mail clients thread them together.
 */
export function renderUpdateMail(update: PublishedUpdate, recipient: Recipient, settings: Pick<EmailSettings, 'from' | 'publicUrl' | 'i18n'>): RenderedMail {
  const { i18n } = settings;
  const lang = i18n.languages.includes(recipient.lang) ? recipient.lang : i18n.languages[0]!;
  const tr = i18n.t(lang);
  const ref = `INC-${update.incidentNumber}`;
  const status = tr(`common:status.${update.status}`);
  const { body } = bodyFor(update, lang);
  const time = i18n.formatDateTime(update.publishedAt, lang, recipient.timeZone, 'fullDateTime');
  const components = update.components.map((c) => `${componentName(c, lang)} (${tr(`common:impact.${c.impact}`)})`);
  const statusUrl = `${settings.publicUrl}/status/incidents/${update.incidentId}?lang=${encodeURIComponent(lang)}`;
  const unsubscribe = unsubscribeUrl(settings.publicUrl, recipient.unsubscribeToken);
  const heading = tr('email:heading', { ref, title: update.incidentTitle });
  const lines = [
    tr('email:statusLine', { status }),
    tr('email:postedAt', { time }),
    ...(components.length ? [tr('email:components', { list: i18n.formatList(components, lang) })] : []),
  ];
  const text = [heading, '', ...lines, '', body, '', tr('email:viewStatusPage', { url: statusUrl }), tr('email:unsubscribe', { url: unsubscribe }), ''].join('\n');
  const html = `<!doctype html><html lang="${escapeHtml(lang)}"><head><meta charset="utf-8"></head><body>
<h1 style="font-size:1.2em">${escapeHtml(heading)}</h1>
${lines.map((l) => `<p style="margin:0">${escapeHtml(l)}</p>`).join('\n')}
<p style="white-space:pre-wrap">${escapeHtml(body)}</p>
<p><a href="${escapeHtml(statusUrl)}">${escapeHtml(statusUrl)}</a></p>
<p style="font-size:.8em"><a href="${escapeHtml(unsubscribe)}">${escapeHtml(tr('email:unsubscribeLink'))}</a></p>
</body></html>`;
  const domain = mailDomain(settings.from);
  const root = `<incident.${update.incidentId}@${domain}>`;
  const messageId = `<update.${update.id}.${recipient.id}@${domain}>`;
  const first = update.firstUpdateId === update.id;
  return {
    subject: tr('email:subject', { ref, title: update.incidentTitle, status }),
    text,
    html,
    messageId,
    headers: {
      'List-Unsubscribe': `<${unsubscribe}>`,
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
      // Every mail of the incident points at one root id; clients thread on References.
      ...(first ? { References: root } : { 'In-Reply-To': root, References: root }),
      'Content-Language': lang,
    },
  };
}

/** Sorts a nodemailer failure: SMTP 5xx (mailbox unknown, rejected) is terminal, the rest may pass. */
export function classifySmtpError(e: unknown): Error {
  const err = e as { responseCode?: number; code?: string; message?: string };
  const message = err.message ?? String(e);
  if (typeof err.responseCode === 'number' && err.responseCode >= 500 && err.responseCode < 600) return new TerminalDeliveryError(message);
  if (err.code === 'EENVELOPE' && (err.responseCode ?? 0) >= 500) return new TerminalDeliveryError(message);
  return new RetryableDeliveryError(message);
}

/** An email subscriber as the double opt-in sender receives it (the status page's `SendConfirmation`). */
export interface ConfirmationRecipient {
  address: string;
  lang: string;
}

export interface EmailChannel extends PublishChannel {
  /** Sends the double opt-in mail for the status page's subscribe form. */
  sendConfirmation(subscriber: ConfirmationRecipient, confirmUrl: string): Promise<void>;
}

/** The email target: nodemailer's pooled SMTP transport, one message per subscriber. */
export function createEmailChannel(settings: EmailSettings): EmailChannel {
  const transport = nodemailer.createTransport({ url: settings.smtpUrl, pool: true, maxConnections: settings.maxConnections ?? 5 } as never);
  return {
    target: 'email',
    async deliver(item: DeliveryItem) {
      if (!item.recipient) throw new TerminalDeliveryError('email delivery without a subscriber');
      const mail = renderUpdateMail(item.update, item.recipient, settings);
      try {
        await transport.sendMail({
          from: settings.from,
          to: item.recipient.address,
          subject: mail.subject,
          text: mail.text,
          html: mail.html,
          messageId: mail.messageId,
          headers: mail.headers,
        });
      } catch (e) {
        throw classifySmtpError(e);
      }
    },
    async sendConfirmation(subscriber, confirmUrl) {
      const lang = settings.i18n.pick(subscriber.lang);
      const tr = settings.i18n.t(lang);
      const text = [tr('email:confirm.body', { address: subscriber.address }), '', confirmUrl, '', tr('email:confirm.ignore'), ''].join('\n');
      const html = `<!doctype html><html lang="${escapeHtml(lang)}"><head><meta charset="utf-8"></head><body>
<p>${escapeHtml(tr('email:confirm.body', { address: subscriber.address }))}</p>
<p><a href="${escapeHtml(confirmUrl)}">${escapeHtml(tr('email:confirm.button'))}</a></p>
<p style="font-size:.8em">${escapeHtml(tr('email:confirm.ignore'))}</p></body></html>`;
      await transport.sendMail({ from: settings.from, to: subscriber.address, subject: tr('email:confirm.subject'), text, html, headers: { 'Content-Language': lang } });
    },
    async close() {
      transport.close();
    },
  };
}
