import { readPostmortemDrafts } from '../../app/generate-postmortem.ts';
import { getIncident } from '../../app/read-incidents.ts';
import { formatIncidentRef } from '../../core/model.ts';
import { computeIntervals } from '../../core/timeline.ts';
import type { NeutralMessage } from '../message.ts';
import type { ChatFile } from '../platform.ts';
import type { CommandContext, CommandReply } from './types.ts';

/**
 * What `close` and `postmortem` answer besides their headline: the key intervals (time to
 * detect, declare, first public update, mitigate, resolve — each from the start of impact,
 * with the moment it ended in the asker's language and zone), a signed link to the rendered
 * draft per language, and the drafts themselves as Markdown files for the platform to share.
 */
export async function postmortemReply(ctx: CommandContext, incidentId: string, headline: string, replayed: boolean): Promise<CommandReply> {
  const { tr, lang, i18n } = ctx;
  const zone = ctx.meta.actor.timeZone ?? ctx.rc.zone;
  const incident = await getIncident(ctx.app, ctx.meta, incidentId);
  const ref = formatIncidentRef(incident.number);
  const at = (date: Date) => i18n.formatDateTime(date, lang, zone, 'dateTime');
  const lines = [headline];
  for (const interval of computeIntervals(incident.moments)) {
    const label = tr(`postmortem:intervals.${interval.id}`);
    if ('ms' in interval) {
      const duration = (interval.ms < 0 ? '-' : '') + i18n.formatDuration(interval.ms, lang);
      lines.push(tr('reply.postmortemDraft.interval', { label, duration, time: at(incident.moments[interval.to]!) }));
    } else {
      const moments = i18n.formatList(interval.missing.map((m) => tr(`common:moment.${m}`)), lang);
      lines.push(tr('reply.postmortemDraft.missing', { label, moments }));
    }
  }
  if (incident.moments.started) lines.push(tr('reply.postmortemDraft.from', { time: at(incident.moments.started) }));

  const drafts = await readPostmortemDrafts(ctx.app, incidentId);
  const links = ctx.postmortemLinks
    ? drafts.map((d) => ({ label: tr('reply.postmortemDraft.link', { lang: d.lang }), url: ctx.postmortemLinks!.url(incident, d.lang) }))
    : [];
  const files: ChatFile[] = drafts.map((d) => ({
    filename: `${ref}-postmortem.${d.lang}.md`,
    title: tr('reply.postmortemDraft.fileTitle', { ref, lang: d.lang }),
    content: d.markdown,
    mimeType: 'text/markdown',
    lang: d.lang,
  }));
  const title = tr('reply.postmortemDraft.title', { ref });
  const message: NeutralMessage = { text: headline, title, lines, ...(links.length ? { links } : {}) };
  return { message, replayed, ...(files.length ? { files } : {}) };
}
