import type { WebClient } from '@slack/web-api';
import { IANAZone } from 'luxon';
import type { Actor } from '../../core/model.ts';
import type { I18n } from '../../i18n.ts';
import type { Logger } from '../../logger.ts';
import { withRateLimit } from './slack-client.ts';

interface Known {
  name: string;
  lang: string;
  /** The profile's IANA zone (`tz`), when Slack gave a valid one. */
  timeZone?: string;
  expires: number;
}

const TTL_MS = 60 * 60 * 1000;
const MAX_ENTRIES = 10_000;

/**
 * Who a Slack user is and which language they read, from `users.info` (with locale),
 * cached for an hour so a busy incident costs one lookup per person, not per command.
 */
export class SlackUsers {
  private readonly known = new Map<string, Known>();
  private readonly pending = new Map<string, Promise<Known | undefined>>();

  constructor(
    private readonly client: WebClient,
    private readonly i18n: I18n,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * The actor for a user id, with the zone their typed times are read in (the profile's `tz`);
   * falls back to the name Slack sent, the team's language and zone when the lookup fails.
   */
  async actor(userId: string, fallbackName: string): Promise<Actor> {
    const known = await this.lookup(userId);
    return {
      platform: 'slack',
      id: userId,
      name: known?.name ?? fallbackName,
      lang: known?.lang ?? this.i18n.pick(undefined),
      ...(known?.timeZone ? { timeZone: known.timeZone } : {}),
    };
  }

  /** A user's display name, for decoding `<@U…>` in typed text; undefined when Slack does not answer. */
  async displayName(userId: string): Promise<string | undefined> {
    return (await this.lookup(userId))?.name;
  }

  /** The language of a user already looked up, without asking Slack (the acknowledgement path may not wait for it). */
  cachedLang(userId: string): string | undefined {
    const cached = this.known.get(userId);
    return cached && cached.expires > this.now() ? cached.lang : undefined;
  }

  private async lookup(userId: string): Promise<Known | undefined> {
    const cached = this.known.get(userId);
    if (cached && cached.expires > this.now()) return cached;
    let pending = this.pending.get(userId);
    if (!pending) {
      pending = this.fetch(userId).finally(() => this.pending.delete(userId));
      this.pending.set(userId, pending);
    }
    return pending;
  }

  private async fetch(userId: string): Promise<Known | undefined> {
    try {
      const res = await withRateLimit(() => this.client.users.info({ user: userId, include_locale: true }));
      const user = res.user;
      const name = user?.profile?.display_name || user?.real_name || user?.name || userId;
      const tz = user?.tz && IANAZone.isValidZone(user.tz) ? user.tz : undefined;
      const known: Known = { name, lang: this.i18n.pick(user?.locale), ...(tz ? { timeZone: tz } : {}), expires: this.now() + TTL_MS };
      // Map keeps insertion order: dropping the first key drops the oldest lookup.
      if (this.known.size >= MAX_ENTRIES) this.known.delete(this.known.keys().next().value!);
      this.known.set(userId, known);
      return known;
    } catch (e) {
      // Not cached: the next command tries again.
      this.logger.warn({ err: e, userId }, 'users.info failed; replying in the team language');
      return undefined;
    }
  }
}
