import { setComponents } from '../../app/set-components.ts';
import { formatIncidentRef } from '../../core/model.ts';
import { text } from './reply.ts';
import type { ChatCommandDefinition } from './types.ts';

/** `components <names> [impact]`: sets the affected components and their impact. */
export const componentsCommand: ChatCommandDefinition<'components'> = {
  verbs: ['components'],
  scope: 'incident',
  writes: true,
  run: async (ctx, command, incidentId) => {
    const { tr, lang } = ctx;
    const { outcome, replayed } = await setComponents(ctx.app, ctx.meta, incidentId, {
      components: command.components,
      ...(command.impact ? { impact: command.impact } : {}),
    });
    const list = outcome.components.map((c) => `${c.names[lang] ?? c.name} (${tr(`common:impact.${c.impact}`)})`);
    return { message: text(tr('reply.componentsSet', { ref: formatIncidentRef(outcome.number), components: ctx.i18n.formatList(list, lang) })), replayed };
  },
};
