import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { AppContext } from '../../src/app/context.ts';
import { ConsoleSession } from '../../src/chat/console/console-session.ts';
import { loadConfig } from '../../src/config.ts';
import type { Actor } from '../../src/core/model.ts';
import type { Database } from '../../src/db/client.ts';
import { createRuntime } from '../../src/runtime.ts';
import { testI18n } from '../app/helpers.ts';
import { captureLogs } from '../helpers/log-capture.ts';

/** A person at the console: what they type goes in, what the terminal printed since comes back. */
export interface ConsoleHarness {
  session: ConsoleSession;
  /** Types one line and returns everything printed because of it. */
  say(line: string): Promise<string>;
  /** JSON log lines written so far. */
  logs(): Record<string, unknown>[];
}

/** A console session over `app`, printing to a PassThrough the test reads and logging to memory. */
export function openConsole(database: Database, app: AppContext, actor: Actor, env: Record<string, string> = {}): ConsoleHarness {
  const out = new PassThrough();
  let printed = '';
  out.setEncoding('utf8');
  out.on('data', (chunk: string) => (printed += chunk));

  const { logger, lines: logLines } = captureLogs('warn');

  // Files the console shares (postmortem drafts) go to a directory of the session's own, made on the first file.
  const config = loadConfig({ LOCALES: 'en,ja', TEAM_TIME_ZONE: 'Asia/Tokyo', TIME_ZONES: 'en=UTC,ja=Asia/Tokyo', DATA_DIR: join(tmpdir(), `tsuiki-console-${randomUUID()}`), ...env });
  const runtime = createRuntime(config, database, { app, i18n: testI18n() });
  const session = new ConsoleSession(runtime, out, actor, logger);
  return {
    session,
    async say(line) {
      await session.input(line);
      // Let the stream hand over anything still queued before reading it.
      await new Promise((resolve) => setImmediate(resolve));
      const text = printed;
      printed = '';
      return text;
    },
    logs: logLines,
  };
}

/** `!n` of the last button with this label in the output, as the person would type it. */
export function button(output: string, label: string): string {
  const escaped = label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const matches = [...output.matchAll(new RegExp(`\\[(!\\d+) ${escaped}\\]`, 'g'))];
  const last = matches.at(-1);
  if (!last) throw new Error(`no "${label}" button in:\n${output}`);
  return last[1]!;
}

/** The incident number and channel a declare reply names, in either language. */
export function declaredIn(output: string): { number: number; channel: string } {
  const number = /INC-(\d+)/.exec(output)?.[1];
  const channel = /(?:Incident channel|インシデントチャンネル): (\S+)/.exec(output)?.[1];
  if (!number || !channel) throw new Error(`not a declare reply:\n${output}`);
  return { number: Number(number), channel };
}

/** The printed blocks posted in one channel, each a header line and its indented lines. */
export function postedIn(output: string, channel: string): string[] {
  return output
    .split(/\n(?=\[#)/)
    .filter((block) => block.startsWith(`[#${channel} `))
    .map((block) => block.trimEnd());
}
