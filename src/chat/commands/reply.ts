import type { NeutralMessage } from '../message.ts';
import type { CommandContext } from './types.ts';

/** A message of one line. */
export function text(line: string): NeutralMessage {
  return { text: line, lines: [line] };
}

/** An instant as the asker reads it: their language, the team's zone. */
export function formatTime(ctx: CommandContext, iso: string): string {
  return ctx.i18n.formatDateTime(new Date(iso), ctx.lang, ctx.rc.zone);
}
