import { listOpenIncidents } from '../../app/read-incidents.ts';
import { renderList } from '../render.ts';
import type { ChatCommandDefinition } from './types.ts';

/** `list`: the open incidents. */
export const listCommand: ChatCommandDefinition<'list'> = {
  verbs: ['list'],
  scope: 'global',
  run: async (ctx) => ({ message: renderList(ctx.rc, await listOpenIncidents(ctx.app, ctx.meta)) }),
};
