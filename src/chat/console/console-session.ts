import { resolve } from 'node:path';
import type { Writable } from 'node:stream';
import type { Actor } from '../../core/model.ts';
import type { Runtime } from '../../runtime.ts';
import { Dispatcher, type IncomingAction } from '../dispatcher.ts';
import { postmortemLinksFor } from '../postmortem-link.ts';
import type { Logger } from '../../logger.ts';
import type { Reply } from '../message.ts';
import { ConsolePlatform } from './console-platform.ts';

/**
 * A person at the terminal: they stand in one channel at a time, type the same
 * commands as in Slack, and press buttons with `!n`.
 */
export class ConsoleSession {
  readonly platform: ConsolePlatform;
  readonly dispatcher: Dispatcher;
  channel = 'general';

  constructor(
    private readonly runtime: Runtime,
    private readonly out: Writable,
    readonly actor: Actor,
    logger: Logger,
  ) {
    const { app, i18n } = runtime;
    this.platform = new ConsolePlatform(out, i18n, app.settings.teamTimeZone, actor.lang, () => app.clock.now());
    this.platform.filesDir = resolve(runtime.config.dataDir, 'files');
    // Its channels live in this session, so their headers are drawn here; the headers in Slack
    // and Teams are rendered by a serving process's worker, from the job each write leaves.
    this.dispatcher = new Dispatcher({ app, i18n, platform: this.platform, logger, postmortemLinks: postmortemLinksFor(runtime), inlineHeader: true });
  }

  /** Handles one line of input; returns false when the person asked to quit. */
  async input(line: string): Promise<boolean> {
    const text = line.trim();
    if (!text) return true;
    if (text === '/quit' || text === '/exit') return false;
    if (text === '/channels') {
      this.out.write(`${[...this.platform.channels].map((c) => (c === this.channel ? `* #${c}` : `  #${c}`)).join('\n')}\n`);
      return true;
    }
    const join = /^\/(?:join|channel)\s+#?(\S+)$/.exec(text);
    if (join) {
      const name = join[1]!;
      if (!this.platform.channels.has(name)) this.out.write(`no channel #${name} (/channels lists them)\n`);
      else this.channel = name;
      return true;
    }
    const button = /^!(\d+)(?:\s+(\S+)\s+([\s\S]+))?$/.exec(text);
    if (button) {
      await this.press(Number(button[1]), button[2], button[3]);
      return true;
    }
    const result = await this.dispatcher.handle({ text, actor: this.actor, channelId: this.channel });
    this.show(result.replies);
    // Like a chat client following the link to the channel it just created.
    if (result.declared) this.channel = result.declared.channelId;
    return true;
  }

  private async press(n: number, lang?: string, body?: string): Promise<void> {
    const action = this.platform.actions[n - 1];
    if (!action) {
      this.out.write(`no button !${n}\n`);
      return;
    }
    if (action.id === 'edit_translation' && !(lang && body)) {
      this.out.write(`type: !${n} <lang> <translation>   (languages: ${this.runtime.config.locales.join(', ')})\n`);
      return;
    }
    const result = await this.dispatcher.handleAction({
      actionId: action.id as IncomingAction['actionId'],
      value: action.value,
      actor: this.actor,
      channelId: this.channel,
      ...(lang && body ? { translation: { lang, body } } : {}),
    });
    this.show(result.replies);
  }

  private show(replies: Reply[]): void {
    for (const reply of replies) {
      this.platform.print(this.channel, reply.message, reply.visibility === 'ephemeral' ? 'only you' : undefined);
    }
  }
}
