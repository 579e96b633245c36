import {
  cancelMaintenance,
  listMaintenances,
  type MaintenanceOutcome,
  scheduleMaintenance,
  setMaintenanceStatus,
  updateMaintenance,
} from '../../app/maintenance.ts';
import { formatMaintenanceRef } from '../../core/maintenance.ts';
import type { NeutralMessage } from '../message.ts';
import { formatTime, text } from './reply.ts';
import type { ChatCommandDefinition, CommandContext } from './types.ts';

/** `maintenance …`: schedules, lists, changes, moves on or cancels a maintenance window; times read and echoed in the asker's zone. */
export const maintenanceCommand: ChatCommandDefinition<'maintenance'> = {
  verbs: ['maintenance'],
  scope: 'global',
  run: async (ctx, command) => {
    switch (command.action) {
      case 'list': {
        const rows = await listMaintenances(ctx.app, ctx.meta);
        if (rows.length === 0) return { message: text(ctx.tr('maintenance.none')) };
        const lines = [
          ctx.tr('maintenance.listTitle'),
          ...rows.map((m) =>
            ctx.tr('maintenance.listItem', {
              ref: formatMaintenanceRef(m.number),
              title: m.title,
              status: ctx.tr(`maintenance.status.${m.status}`),
              start: formatTime(ctx, m.scheduledFor.toISOString()),
              end: formatTime(ctx, m.scheduledUntil.toISOString()),
            }),
          ),
        ];
        return { message: { text: lines.join('\n'), lines } };
      }
      case 'schedule': {
        const { verb: _verb, action: _action, ...input } = command;
        const { outcome, replayed } = await scheduleMaintenance(ctx.app, ctx.meta, input);
        return { message: describe(ctx, 'maintenance.scheduled', outcome), replayed };
      }
      case 'update': {
        const { verb: _verb, action: _action, ...input } = command;
        const { outcome, replayed } = await updateMaintenance(ctx.app, ctx.meta, input);
        return { message: describe(ctx, 'maintenance.updated', outcome), replayed };
      }
      case 'cancel': {
        const { outcome, replayed } = await cancelMaintenance(ctx.app, ctx.meta, command.number);
        return { message: describe(ctx, 'maintenance.cancelled', outcome), replayed };
      }
      case 'status': {
        const { outcome, replayed } = await setMaintenanceStatus(ctx.app, ctx.meta, command.number, command.status);
        return { message: describe(ctx, 'maintenance.statusSet', outcome), replayed };
      }
    }
  },
};

function describe(ctx: CommandContext, key: string, m: MaintenanceOutcome): NeutralMessage {
  return text(
    ctx.tr(key, {
      ref: formatMaintenanceRef(m.number),
      title: m.title,
      status: ctx.tr(`maintenance.status.${m.status}`),
      start: formatTime(ctx, m.scheduledFor),
      end: formatTime(ctx, m.scheduledUntil),
      components: m.components.length ? m.components.join(', ') : '—',
    }),
  );
}
