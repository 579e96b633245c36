import type { NeutralMessage } from '../chat/message.ts';
import { formatMaintenanceRef } from '../core/maintenance.ts';
import type { I18n } from '../i18n.ts';
import { type PublicMaintenance, type PublicMaintenanceNotice, renderMaintenanceNotice } from '../status-page/maintenance.ts';
import type { Recipient } from './channel.ts';
import { escapeHtml, mailDomain, type RenderedMail, unsubscribeHeaders, unsubscribeUrl } from './email.ts';

/** What a maintenance mail needs besides the maintenance and the notice. */
export interface MaintenanceMailSettings {
  i18n: I18n;
  publicUrl: string;
  /** MAIL_FROM: its domain names the Message-IDs. */
  from: string;
  /** The affected components' names in the reader's language, in catalog order. */
  componentNames: string[];
}

/** The page of one maintenance, in a language. */
export function maintenancePageUrl(publicUrl: string, maintenanceId: string, lang: string): string {
  return `${publicUrl}/status/maintenance/${maintenanceId}?lang=${encodeURIComponent(lang)}`;
}

/**
 * One subscriber's mail for one maintenance notice, in their language and zone: what the
 * notice says, the window it named (full dates, with the zone), the components, the page.
 * Every mail of a maintenance refers to one root id, so mail clients thread them.
 */
export function renderMaintenanceMail(
  m: Pick<PublicMaintenance, 'id' | 'number' | 'title'>,
  notice: Pick<PublicMaintenanceNotice, 'id' | 'kind' | 'scheduledFor' | 'scheduledUntil' | 'note'>,
  recipient: Pick<Recipient, 'id' | 'lang' | 'timeZone' | 'unsubscribeToken'>,
  settings: MaintenanceMailSettings,
): RenderedMail {
  const { i18n } = settings;
  const lang = i18n.pick(recipient.lang);
  const tr = i18n.t(lang);
  const zone = recipient.timeZone;
  const ref = formatMaintenanceRef(m.number);
  const plain = { interpolation: { escapeValue: false } };
  const kind = tr(`email:maintenance.kind.${notice.kind}`);
  const subject = tr('email:maintenance.subject', { ref, title: m.title, kind, ...plain });
  const heading = tr('email:heading', { ref, title: m.title, ...plain });
  const sentence = renderMaintenanceNotice(i18n, lang, zone, m, notice);
  const window = tr('public:maintenance.window', {
    start: i18n.formatDateTime(notice.scheduledFor, lang, zone, 'fullDateTime'),
    end: i18n.formatDateTime(notice.scheduledUntil, lang, zone, 'fullDateTime'),
    ...plain,
  });
  const lines = [
    tr('email:maintenance.window', { window, ...plain }),
    ...(settings.componentNames.length ? [tr('public:maintenance.componentsLine', { components: i18n.formatList(settings.componentNames, lang), ...plain })] : []),
  ];
  const page = maintenancePageUrl(settings.publicUrl, m.id, lang);
  const unsubscribe = unsubscribeUrl(settings.publicUrl, recipient.unsubscribeToken);
  const text = [heading, '', ...lines, '', sentence, '', tr('email:maintenance.viewStatusPage', { url: page, ...plain }), tr('email:unsubscribe', { url: unsubscribe, ...plain }), ''].join('\n');
  const html = `<!doctype html><html lang="${escapeHtml(lang)}"><head><meta charset="utf-8"></head><body>
<h1 style="font-size:1.2em">${escapeHtml(heading)}</h1>
${lines.map((l) => `<p style="margin:0">${escapeHtml(l)}</p>`).join('\n')}
<p style="white-space:pre-wrap">${escapeHtml(sentence)}</p>
<p><a href="${escapeHtml(page)}">${escapeHtml(page)}</a></p>
<p style="font-size:.8em"><a href="${escapeHtml(unsubscribe)}">${escapeHtml(tr('email:unsubscribeLink'))}</a></p>
</body></html>`;
  const domain = mailDomain(settings.from);
  const root = `<maintenance.${m.id}@${domain}>`;
  return {
    subject,
    text,
    html,
    // One id per notice and subscriber: a receiving server drops a repeat of the same mail.
    messageId: `<maintenance-notice.${notice.id}.${recipient.id}@${domain}>`,
    headers: {
      ...unsubscribeHeaders(unsubscribe),
      ...(notice.kind === 'scheduled' ? { References: root } : { 'In-Reply-To': root, References: root }),
      'Content-Language': lang,
    },
  };
}

/** A maintenance notice as a chat message for a subscribed Slack/Teams channel, in its language and zone. */
export function renderMaintenanceChat(
  m: Pick<PublicMaintenance, 'id' | 'number' | 'title'>,
  notice: Pick<PublicMaintenanceNotice, 'kind' | 'scheduledFor' | 'scheduledUntil' | 'note'>,
  recipient: Pick<Recipient, 'lang' | 'timeZone'>,
  settings: Omit<MaintenanceMailSettings, 'from'>,
): NeutralMessage {
  const { i18n } = settings;
  const lang = i18n.pick(recipient.lang);
  const tr = i18n.t(lang);
  const plain = { interpolation: { escapeValue: false } };
  const title = tr('email:maintenance.subject', { ref: formatMaintenanceRef(m.number), title: m.title, kind: tr(`email:maintenance.kind.${notice.kind}`), ...plain });
  const sentence = renderMaintenanceNotice(i18n, lang, recipient.timeZone, m, notice);
  const components = settings.componentNames.length ? [tr('public:maintenance.componentsLine', { components: i18n.formatList(settings.componentNames, lang), ...plain })] : [];
  return {
    text: `${title}: ${sentence}`,
    title,
    lines: [sentence, ...components],
    links: [{ label: tr('email:maintenance.pageLink'), url: maintenancePageUrl(settings.publicUrl, m.id, lang) }],
  };
}
