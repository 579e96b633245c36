import { html } from 'hono/html';
import nodemailer from 'nodemailer';
import type { I18n } from '../i18n.ts';
import type { SendConfirmation } from './subscriptions.ts';

/**
 * The double opt-in mail over SMTP (`SMTP_URL`, `MAIL_FROM`), text and HTML, in the
 * subscriber's language. Used until the publishing issue's email target offers a sender.
 */
export function smtpConfirmationSender(options: { smtpUrl: string; from: string; i18n: I18n }): SendConfirmation {
  const transport = nodemailer.createTransport(options.smtpUrl);
  return async (subscriber, confirmUrl) => {
    const t = options.i18n.t(subscriber.lang);
    const title = t('public:page.title');
    const text = `${t('public:mail.body', { title })}\n\n${confirmUrl}\n\n${t('public:mail.ignore')}\n`;
    const body = html`<!doctype html><html lang="${subscriber.lang}"><body>
<p>${t('public:mail.body', { title })}</p>
<p><a href="${confirmUrl}">${t('public:mail.button')}</a></p>
<p>${t('public:mail.ignore')}</p>
</body></html>`.toString();
    await transport.sendMail({
      from: options.from,
      to: subscriber.address,
      subject: t('public:mail.subject', { title }),
      text,
      html: body,
      headers: { 'Auto-Submitted': 'auto-generated' },
    });
  };
}
