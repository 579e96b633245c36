import { Writable } from 'node:stream';
import { ConsolePlatform } from '../../../src/chat/console/console-platform.ts';
import type { NeutralMessage } from '../../../src/chat/message.ts';
import type { Clock } from '../../../src/core/clock.ts';
import type { I18n } from '../../../src/i18n.ts';

/** The console platform, remembering every post and announcement so a test can read them by channel. */
export class RecordingPlatform extends ConsolePlatform {
  readonly posts: { channelId: string; message: NeutralMessage }[] = [];
  readonly announcements: NeutralMessage[] = [];

  constructor(i18n: I18n, clock: Clock) {
    super(new Writable({ write: (_chunk, _enc, done) => done() }), i18n, 'Asia/Tokyo', 'en', () => clock.now());
  }

  override async post(channelId: string, message: NeutralMessage): Promise<string> {
    this.posts.push({ channelId, message });
    return super.post(channelId, message);
  }

  override async announce(message: NeutralMessage): Promise<void> {
    this.announcements.push(message);
    await super.announce(message);
  }

  /** Texts posted in one channel, in order. */
  textsIn(channelId: string): string[] {
    return this.posts.filter((p) => p.channelId === channelId).map((p) => p.message.text);
  }
}
