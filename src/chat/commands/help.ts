import { renderHelp } from '../render.ts';
import type { ChatCommandDefinition } from './types.ts';

/** `help [verb]`: the command list, or one verb's usage. */
export const helpCommand: ChatCommandDefinition<'help'> = {
  verbs: ['help'],
  scope: 'global',
  run: async (ctx, command) => ({ message: renderHelp(ctx.rc, command.topic) }),
};
