import { getIncident } from '../../app/read-incidents.ts';
import { formatEntryLine } from '../../core/describe-entry.ts';
import { formatIncidentRef } from '../../core/model.ts';
import { compareEntries } from '../../core/timeline.ts';
import type { ChatCommandDefinition } from './types.ts';

/** `timeline`: every entry in order, with a link to the full timeline for a platform that has to cut it. */
export const timelineCommand: ChatCommandDefinition<'timeline'> = {
  verbs: ['timeline'],
  scope: 'incident',
  writes: false,
  run: async (ctx, _command, incidentId) => {
    const { tr, lang, rc } = ctx;
    const incident = await getIncident(ctx.app, ctx.meta, incidentId);
    const entries = [...incident.entries].sort(compareEntries);
    const title = tr('timeline.title', { ref: formatIncidentRef(incident.number), count: entries.length, zone: rc.zone });
    const lines = entries.length ? entries.map((e) => formatEntryLine(e, lang, rc.zone, ctx.i18n)) : [tr('timeline.empty')];
    const fullTimelineUrl = ctx.timelineLinks?.url(incident, lang);
    return { message: { text: title, title, lines, ...(fullTimelineUrl ? { fullTimelineUrl } : {}) } };
  },
};
