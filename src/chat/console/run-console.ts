import { createInterface } from 'node:readline/promises';
import type { Actor } from '../../core/model.ts';
import type { Logger } from '../../logger.ts';
import type { Runtime } from '../../runtime.ts';
import { ConsoleSession } from './console-session.ts';

/** `tsuiki console`: an interactive chat in the terminal over the same dispatcher as Slack and Teams. */
export async function runConsole(runtime: Runtime, actor: Actor, logger: Logger): Promise<void> {
  const session = new ConsoleSession(runtime, process.stdout, actor, logger);
  const t = runtime.i18n.t(actor.lang);
  process.stdout.write(`${t('help.title')}\n${t('help.intro')}\n/channels, /join <channel>, !n (buttons), /quit\n\n`);
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: process.stdin.isTTY });
  const prompt = () => `#${session.channel}> `;
  rl.setPrompt(prompt());
  rl.prompt();
  for await (const line of rl) {
    if (!(await session.input(line))) break;
    rl.setPrompt(prompt());
    rl.prompt();
  }
  rl.close();
}
