import { changeStatus } from '../../app/change-status.ts';
import { formatIncidentRef } from '../../core/model.ts';
import { formatTime, text } from './reply.ts';
import type { ChatCommandDefinition } from './types.ts';

/** `status <status> [public text]`: moves the incident on, drafting a public update when text is given. */
export const statusCommand: ChatCommandDefinition<'status'> = {
  verbs: ['status'],
  scope: 'incident',
  writes: true,
  run: async (ctx, command, incidentId) => {
    const { tr } = ctx;
    const { outcome: o, replayed } = await changeStatus(ctx.app, ctx.meta, incidentId, {
      status: command.status,
      ...(command.at ? { at: command.at, bareClock: command.bareClock ?? false } : {}),
      ...(command.publicText ? { publicText: command.publicText } : {}),
    });
    if (o.corrected) {
      const message = text(tr('reply.momentSet', { ref: formatIncidentRef(o.number), moment: tr('common:moment.resolved'), time: formatTime(ctx, o.occurredAt) }));
      return { message, replayed };
    }
    const names = { from: tr(`common:status.${o.from}`), to: tr(`common:status.${o.to}`), status: tr(`common:status.${o.status}`) };
    // Receipts stored before back-dated changes were refused may still say it was overtaken.
    const key = o.status === o.to ? 'reply.statusChanged' : 'reply.statusOvertaken';
    const message = text(tr(key, { ref: formatIncidentRef(o.number), time: formatTime(ctx, o.occurredAt), ...names }));
    return { message, replayed, ...(o.update ? { previewUpdateId: o.update.updateId } : {}) };
  },
};
