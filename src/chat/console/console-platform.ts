import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Writable } from 'node:stream';
import type { I18n } from '../../i18n.ts';
import type { NeutralMessage } from '../message.ts';
import type { ChatFile, ChatPlatform, OpenedChannel } from '../platform.ts';

/** A chat platform that lives in the terminal: channels are names, messages are printed. */
export class ConsolePlatform implements ChatPlatform {
  readonly platform = 'console' as const;
  readonly channels = new Set<string>(['general', 'incidents']);
  /** Action buttons shown so far, numbered for `!n`. */
  readonly actions: { id: string; value: string }[] = [];
  private nextMessageId = 1;
  /** Where shared files are written (the postmortem drafts); `<DATA_DIR>/files` in a session. */
  filesDir = resolve('data', 'files');

  constructor(
    private readonly out: Writable,
    private readonly i18n: I18n,
    private readonly zone: string,
    private readonly lang: string,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async openIncidentChannel(input: { slug: string; topic: string }): Promise<OpenedChannel> {
    let name = input.slug;
    for (let n = 2; this.channels.has(name); n++) name = `${input.slug}-${n}`;
    this.channels.add(name);
    this.print(name, { text: `# ${name} — ${input.topic}` });
    return { channelId: name, name };
  }

  async post(channelId: string, message: NeutralMessage): Promise<string> {
    this.print(channelId, message);
    return String(this.nextMessageId++);
  }

  async update(channelId: string, messageId: string, message: NeutralMessage): Promise<void> {
    this.print(channelId, message, `edited #${messageId}`);
  }

  async upsertHeader(channelId: string, messageId: string | undefined, message: NeutralMessage): Promise<string> {
    if (messageId) {
      // Edited in place in a real chat; a terminal cannot, so show it on one line.
      const summary = (message.fields ?? []).map((f) => `${f.label}: ${f.value}`).join(' · ');
      this.print(channelId, { text: message.text, lines: [summary] }, `📌 header #${messageId} edited`);
      return messageId;
    }
    const id = String(this.nextMessageId++);
    this.print(channelId, message, `📌 header #${id}`);
    return id;
  }

  async announce(message: NeutralMessage): Promise<void> {
    this.print('incidents', message);
  }

  /** Writes the file under {@link filesDir} and prints where, as a chat client shows a shared file. */
  async uploadFile(channelId: string, file: ChatFile): Promise<void> {
    await mkdir(this.filesDir, { recursive: true });
    // The name is ours (`INC-<n>-postmortem.<lang>.md`), but never let it leave the directory.
    const path = join(this.filesDir, file.filename.replace(/[^\w.-]/g, '_').replace(/^\.+/, '_'));
    await writeFile(path, file.content, 'utf8');
    this.print(channelId, { text: this.i18n.t(this.lang)('bot:reply.postmortemDraft.saved', { lang: file.lang, path }) });
  }

  /** Prints a message as a chat client would show it, with its time in the team's zone. */
  print(channelId: string, message: NeutralMessage, note?: string): void {
    const stamp = this.i18n.formatDateTime(this.clock(), this.lang, this.zone, 'time');
    const lines: string[] = [`[#${channelId} ${stamp}]${note ? ` (${note})` : ''}`];
    if (message.title) lines.push(`  ${message.title}`);
    for (const line of message.lines ?? (message.title ? [] : [message.text])) lines.push(...line.split('\n').map((l) => `  ${l}`));
    for (const field of message.fields ?? []) lines.push(`  ${field.label}: ${field.value}`);
    if (message.actions?.length) {
      const buttons = message.actions.map((a) => {
        this.actions.push({ id: a.id, value: a.value });
        return `[!${this.actions.length} ${a.label}]`;
      });
      lines.push(`  ${buttons.join(' ')}`);
    }
    for (const link of message.links ?? []) lines.push(`  ${link.label}: ${link.url}`);
    this.out.write(`${lines.join('\n')}\n`);
  }
}
