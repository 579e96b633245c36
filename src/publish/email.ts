import nodemailer from 'nodemailer';
import type { I18n } from '../i18n.ts';
import { bodyWithNotice, componentImpacts, type DeliveryItem, type PublishChannel, type PublishedUpdate, type Recipient, RetryableDeliveryError, TerminalDeliveryError } from './channel.ts';

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

/** Escapes text for the mail's HTML part. */
export const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The domain of MAIL_FROM, used for Message-IDs so they stay unique to this sender. */
export function mailDomain(from: string): string {
  return /@([^>\s]+)/.exec(from)?.[1] ?? 'tsuiki.invalid';
}

/** The one-click unsubscribe link for a subscriber (RFC 8058 posts to it). */
export function unsubscribeUrl(publicUrl: string, token: string): string {
  return `${publicUrl}/status/unsubscribe?token=${encodeURIComponent(token)}`;
}

/** RFC 8058 one-click unsubscribe headers: every mail to a subscriber carries them. */
export function unsubscribeHeaders(unsubscribe: string): Record<string, string> {
  return { 'List-Unsubscribe': `<${unsubscribe}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' };
}

/**
 * One subscriber's mail for one update, in their language and time zone. Every mail of
 * an incident refers to the same root id, so mail clients thread them together.
 */
export function renderUpdateMail(
  update: PublishedUpdate,
  recipient: Recipient,
  settings: Pick<EmailSettings, 'from' | 'publicUrl' | 'i18n'>,
  followUp?: DeliveryItem['followUp'],
): RenderedMail {
  return mailTemplate(update, recipient.lang, recipient.timeZone, settings, followUp)(recipient);
}

/** Renders what one update's mail says in one language and zone; the result fills in a subscriber. */
type MailTemplate = (recipient: Pick<Recipient, 'id' | 'unsubscribeToken'>) => RenderedMail;

/**
 * Untranslated, the source text goes under a notice naming its language; a follow-up (the
 * translation sent after it) says what it translates, replies to the first mail and keeps
 * the incident's thread.
 */
function mailTemplate(
  update: PublishedUpdate,
  recipientLang: string,
  timeZone: string,
  settings: Pick<EmailSettings, 'from' | 'publicUrl' | 'i18n'>,
  followUp?: DeliveryItem['followUp'],
): MailTemplate {
  const { i18n } = settings;
  const lang = i18n.languages.includes(recipientLang) ? recipientLang : i18n.languages[0]!;
  const tr = i18n.t(lang);
  const ref = `INC-${update.incidentNumber}`;
  const status = tr(`common:status.${update.status}`);
  const { lang: bodyLang, body, notice } = bodyWithNotice(update, lang, tr, followUp);
  const time = i18n.formatDateTime(update.publishedAt, lang, timeZone, 'fullDateTime');
  const components = componentImpacts(update, lang, tr);
  const statusUrl = `${settings.publicUrl}/status/incidents/${update.incidentId}?lang=${encodeURIComponent(lang)}`;
  const heading = tr('email:heading', { ref, title: update.incidentTitle });
  const lines = [
    tr('email:statusLine', { status }),
    tr('email:postedAt', { time }),
    ...(components.length ? [tr('email:components', { list: i18n.formatList(components, lang) })] : []),
  ];
  const textHead = [heading, '', ...lines, '', ...(notice ? [notice, ''] : []), body, '', tr('email:viewStatusPage', { url: statusUrl })].join('\n');
  // The unsubscribe line is the only part that differs between subscribers: split around it.
  const [textBefore, textAfter] = splitAround(tr('email:unsubscribe', { url: URL_SLOT }));
  const htmlHead = `<!doctype html><html lang="${escapeHtml(lang)}"><head><meta charset="utf-8"></head><body>
<h1 style="font-size:1.2em">${escapeHtml(heading)}</h1>
${lines.map((l) => `<p style="margin:0">${escapeHtml(l)}</p>`).join('\n')}
${notice ? `<p><em>${escapeHtml(notice)}</em></p>\n` : ''}<p style="white-space:pre-wrap"${bodyLang !== lang ? ` lang="${escapeHtml(bodyLang)}"` : ''}>${escapeHtml(body)}</p>
<p><a href="${escapeHtml(statusUrl)}">${escapeHtml(statusUrl)}</a></p>
<p style="font-size:.8em"><a href="`;
  const htmlTail = `">${escapeHtml(tr('email:unsubscribeLink'))}</a></p>
</body></html>`;
  const domain = mailDomain(settings.from);
  const root = `<incident.${update.incidentId}@${domain}>`;
  const first = update.firstUpdateId === update.id;
  const updateSubject = tr('email:subject', { ref, title: update.incidentTitle, status });
  const subject = followUp ? tr('email:translated.subject', { subject: updateSubject }) : updateSubject;
  // Every mail of the incident points at one root id; clients thread on References.
  const threading: Record<string, string> = first ? { References: root } : { 'In-Reply-To': root, References: root };
  return (recipient) => {
    const unsubscribe = unsubscribeUrl(settings.publicUrl, recipient.unsubscribeToken);
    const updateMessageId = `<update.${update.id}.${recipient.id}@${domain}>`;
    return {
      subject,
      text: `${textHead}\n${textBefore}${unsubscribe}${textAfter}\n`,
      html: `${htmlHead}${escapeHtml(unsubscribe)}${htmlTail}`,
      messageId: followUp ? `<update.${update.id}.${recipient.id}.${followUp.lang}@${domain}>` : updateMessageId,
      headers: {
        ...unsubscribeHeaders(unsubscribe),
        // The translation answers the mail it translates, within the incident's thread.
        ...(followUp ? { 'In-Reply-To': updateMessageId, References: `${root} ${updateMessageId}` } : threading),
        'Content-Language': lang,
      },
    };
  };
}

/** Stands in for the unsubscribe URL while a translation is rendered, then is cut out. */
const URL_SLOT = '\u0000unsubscribe-url\u0000';

function splitAround(rendered: string): [string, string] {
  const at = rendered.indexOf(URL_SLOT);
  if (at < 0) throw new Error('email:unsubscribe must contain {{url}}');
  return [rendered.slice(0, at), rendered.slice(at + URL_SLOT.length)];
}

/** Mail templates of the updates being sent, per language and zone; a fan-out renders each once. */
function createTemplateCache(settings: Pick<EmailSettings, 'from' | 'publicUrl' | 'i18n'>, size = 256) {
  const cache = new Map<string, MailTemplate>();
  return (update: PublishedUpdate, recipient: Recipient, followUp?: DeliveryItem['followUp']): RenderedMail => {
    // Whether the reader's language is there yet is part of the key: a translation changes the mail.
    const langs = Object.keys(update.bodies).sort().join(',');
    const key = `${update.id}\u0000${recipient.lang}\u0000${recipient.timeZone}\u0000${langs}\u0000${followUp?.lang ?? ''}`;
    let template = cache.get(key);
    if (!template) {
      if (cache.size >= size) cache.delete(cache.keys().next().value!);
      template = mailTemplate(update, recipient.lang, recipient.timeZone, settings, followUp);
      cache.set(key, template);
    }
    return template(recipient);
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
  /** Sends one rendered mail (maintenance notices) over the same transport; failures classified as for updates. */
  sendRendered(to: string, mail: RenderedMail): Promise<void>;
  /** MAIL_FROM, whose domain names the Message-IDs of rendered mails. */
  readonly from: string;
}

/** The email target: nodemailer's pooled SMTP transport, one message per subscriber. */
export function createEmailChannel(settings: EmailSettings): EmailChannel {
  const transport = nodemailer.createTransport({ url: settings.smtpUrl, pool: true, maxConnections: settings.maxConnections ?? 5 } as never);
  const render = createTemplateCache(settings);
  const sendRendered = async (to: string, mail: RenderedMail) => {
    try {
      await transport.sendMail({ from: settings.from, to, subject: mail.subject, text: mail.text, html: mail.html, messageId: mail.messageId, headers: mail.headers });
    } catch (e) {
      throw classifySmtpError(e);
    }
  };
  return {
    target: 'email',
    from: settings.from,
    async deliver(item: DeliveryItem) {
      if (!item.recipient) throw new TerminalDeliveryError('email delivery without a subscriber');
      await sendRendered(item.recipient.address, render(item.update, item.recipient, item.followUp));
    },
    sendRendered,
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
