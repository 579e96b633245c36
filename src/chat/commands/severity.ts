import { changeSeverity } from '../../app/change-severity.ts';
import { formatIncidentRef } from '../../core/model.ts';
import { text } from './reply.ts';
import type { ChatCommandDefinition } from './types.ts';

/** `severity <sev>`: changes the incident's severity. */
export const severityCommand: ChatCommandDefinition<'severity'> = {
  verbs: ['severity'],
  scope: 'incident',
  writes: true,
  run: async (ctx, command, incidentId) => {
    const { outcome, replayed } = await changeSeverity(ctx.app, ctx.meta, incidentId, { severity: command.severity });
    return { message: text(ctx.tr('reply.severityChanged', { ref: formatIncidentRef(outcome.number), from: outcome.from, to: outcome.to })), replayed };
  },
};
