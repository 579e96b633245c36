import type { Platform } from '../core/model.ts';
import type { NeutralMessage } from './message.ts';
import type { ChatPlatform, PostOptions } from './platform.ts';

/**
 * The chat platforms this process can post through, shared on the runtime. The Slack and
 * Teams parts register theirs when they are built; publishing and the manager part look
 * them up when they post (never when they are built), so part order does not matter.
 */
export class ChatPlatforms {
  private readonly byName = new Map<Platform, ChatPlatform>();

  /** Adds a platform; a second one of the same name replaces the first. */
  register(platform: ChatPlatform): void {
    this.byName.set(platform.platform, platform);
  }

  get(name: string): ChatPlatform | undefined {
    return this.byName.get(name as Platform);
  }

  /** Every registered platform, in registration order. */
  all(): ChatPlatform[] {
    return [...this.byName.values()];
  }

  /**
   * Posts in the incidents channel of every platform. Each is tried even when another
   * fails; the first failure is then thrown, so a queued caller retries.
   */
  async announce(message: NeutralMessage, options?: PostOptions): Promise<void> {
    const results = await Promise.allSettled(this.all().map((p) => p.announce(message, options)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }
}

/** The runtime's registry, created on first use (runtimes built by hand in tests have none yet). */
export function chatPlatformsOf(runtime: { chat?: ChatPlatforms | undefined }): ChatPlatforms {
  return (runtime.chat ??= new ChatPlatforms());
}
