import { assignRole } from '../../app/assign-role.ts';
import { formatIncidentRef } from '../../core/model.ts';
import { text } from './reply.ts';
import type { ChatCommandDefinition } from './types.ts';

/** `assign <role> <user>`: gives someone a role in the incident. */
export const assignCommand: ChatCommandDefinition<'assign'> = {
  verbs: ['assign'],
  scope: 'incident',
  writes: true,
  run: async (ctx, command, incidentId) => {
    const { tr } = ctx;
    const { outcome, replayed } = await assignRole(ctx.app, ctx.meta, incidentId, { role: command.role, user: command.user });
    // A role the locales do not name is shown as typed.
    const role = tr(`common:role.${outcome.role}`, { defaultValue: outcome.role });
    return { message: text(tr('reply.roleAssigned', { ref: formatIncidentRef(outcome.number), role, user: outcome.userName })), replayed };
  },
};
