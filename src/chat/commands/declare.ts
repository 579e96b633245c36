import { declareIncident } from '../../app/declare-incident.ts';
import { formatIncidentRef } from '../../core/model.ts';
import { text } from './reply.ts';
import type { ChatCommandDefinition } from './types.ts';

/** `declare <title> …`: declares an incident and opens its channel; without text, asks the platform for its form. */
export const declareCommand: ChatCommandDefinition<'declare'> = {
  verbs: ['declare'],
  scope: 'global',
  run: async (ctx, command) => {
    const { tr } = ctx;
    if (command.form) return { message: text(tr('reply.declareForm')), openForm: { kind: 'declare' } };
    const { outcome, replayed } = await declareIncident(ctx.app, ctx.meta, {
      title: command.title,
      components: command.components,
      visibility: command.visibility,
      ...(command.severity ? { severity: command.severity } : {}),
      ...(command.started ? { started: command.started } : {}),
      ...(command.summary ? { summary: command.summary } : {}),
    });
    // Declared and committed: a channel that could not be opened is said so, never as
    // "not recorded", or the user declares again and gets a second incident.
    const channel = await ctx.ensureIncidentChannel(outcome.incidentId);
    const ref = formatIncidentRef(outcome.number);
    const lines = [tr('reply.declared', { ref, title: outcome.title })];
    if (channel) lines.push(tr('reply.declaredChannel', { channel: channel.name }));
    if (channel === null) lines.push(tr('reply.declaredNoChannel', { ref }));
    return {
      message: { text: lines[0]!, lines },
      visibility: 'channel',
      replayed,
      incidentId: outcome.incidentId,
      ...(channel ? { declared: { channelId: channel.channelId } } : {}),
    };
  },
};
