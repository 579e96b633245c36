import type { NeutralMessage } from '../message.ts';
import type { CommandContext } from './types.ts';

/** A message of one line. */
export function text(line: string): NeutralMessage {
  return { text: line, lines: [line] };
}

/** An instant as the asker reads it: their language and the zone they typed it in (their own, else the team's), zone named. */
export function formatTime(ctx: CommandContext, iso: string): string {
  return ctx.i18n.formatDateTime(new Date(iso), ctx.lang, ctx.meta.actor.timeZone ?? ctx.rc.zone);
}
