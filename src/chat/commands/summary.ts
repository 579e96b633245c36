import { getIncident } from '../../app/read-incidents.ts';
import { renderSummary } from '../render.ts';
import type { ChatCommandDefinition } from './types.ts';

/** `summary`: the incident at a glance. */
export const summaryCommand: ChatCommandDefinition<'summary'> = {
  verbs: ['summary'],
  scope: 'incident',
  writes: false,
  run: async (ctx, _command, incidentId) => ({ message: renderSummary(ctx.rc, await getIncident(ctx.app, ctx.meta, incidentId)) }),
};
