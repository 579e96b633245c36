import { setKeyMoment } from '../../app/set-key-moment.ts';
import { formatIncidentRef, type SettableMoment } from '../../core/model.ts';
import { formatTime, text } from './reply.ts';
import type { ChatCommandDefinition } from './types.ts';

/** `started|detected|mitigated <time>`: sets one of the incident's key moments; the verb names the moment. */
export const keyMomentCommand: ChatCommandDefinition<SettableMoment> = {
  verbs: ['started', 'detected', 'mitigated'],
  scope: 'incident',
  writes: true,
  run: async (ctx, command, incidentId) => {
    const { tr } = ctx;
    const { outcome, replayed } = await setKeyMoment(ctx.app, ctx.meta, incidentId, { moment: command.verb, at: command.at, bareClock: command.bareClock ?? false });
    const moment = tr(`common:moment.${outcome.moment}`);
    return { message: text(tr('reply.momentSet', { ref: formatIncidentRef(outcome.number), moment, time: formatTime(ctx, outcome.at) })), replayed };
  },
};
