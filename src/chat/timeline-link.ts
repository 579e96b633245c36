import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import type { Config } from '../config.ts';
import type { Visibility } from '../core/model.ts';
import type { Runtime } from '../runtime.ts';

/**
 * How long a link opens the timeline. A link is minted for someone who was just shown the
 * timeline in chat; a private incident's (a security incident's, often) lives shorter.
 */
export const TIMELINE_LINK_TTL_MS: Record<Visibility, number> = {
  public: 7 * 24 * 60 * 60_000,
  private: 24 * 60 * 60_000,
};

/** The path of an incident's full timeline; `.md` for the Markdown copy. */
export function timelinePath(number: number, format: 'html' | 'markdown' = 'html'): string {
  return `/incidents/${number}/timeline${format === 'markdown' ? '.md' : ''}`;
}

/** Why a link was refused. */
export type LinkCheck = { ok: true; expires: Date } | { ok: false; reason: 'invalid' } | { ok: false; reason: 'expired'; expires: Date };

/** Signs and checks links to incidents' full timelines. */
export interface TimelineLinks {
  /** An absolute signed URL of the incident's timeline in `lang`, valid for {@link TIMELINE_LINK_TTL_MS}. */
  url(incident: { number: number; visibility: Visibility }, lang: string): string;
  /** Checks `exp` (Unix seconds) and `sig` of a request for incident `number`. */
  check(number: number, exp: string | undefined, sig: string | undefined): LinkCheck;
}

const KEY_LABEL = 'tsuiki timeline link v1';

/**
 * The link key: HKDF-SHA256 of SLACK_SIGNING_SECRET (or ADMIN_TOKEN where Slack is not
 * configured) under its own label, so a link signature can never stand for a Slack request
 * signature or the token itself. Whoever holds either secret can already read every timeline
 * (by forging a Slack request, or as the administrator). Undefined when neither is set.
 * Rotating the secret invalidates the links already given out.
 */
export function timelineLinkKey(secrets: { slackSigningSecret?: string | undefined; adminToken?: string | undefined }): Buffer | undefined {
  const secret = secrets.slackSigningSecret ?? secrets.adminToken;
  if (!secret) return undefined;
  return Buffer.from(hkdfSync('sha256', secret, '', KEY_LABEL, 32));
}

/** Links signed with `key` (see {@link timelineLinkKey}), pointing at `publicUrl`. */
export function createTimelineLinks(deps: { key: Buffer; publicUrl: string; now: () => Date }): TimelineLinks {
  return createSignedIncidentLinks({ ...deps, purpose: 'timeline', path: (number) => timelinePath(number), ttlMs: TIMELINE_LINK_TTL_MS });
}

/**
 * Signed, expiring links to one kind of incident page. The signed message names its
 * `purpose` (`<purpose>\n<n>\n<exp>`), so a link to one kind of page never opens another.
 */
export function createSignedIncidentLinks(deps: {
  key: Buffer;
  publicUrl: string;
  now: () => Date;
  purpose: string;
  path: (number: number) => string;
  ttlMs: Record<Visibility, number>;
}): TimelineLinks {
  const sign = (number: number, exp: number) =>
    createHmac('sha256', deps.key).update(`${deps.purpose}\n${number}\n${exp}`).digest('base64url');
  return {
    url(incident, lang) {
      const exp = Math.floor((deps.now().getTime() + deps.ttlMs[incident.visibility]) / 1000);
      const query = new URLSearchParams({ lang, exp: String(exp), sig: sign(incident.number, exp) });
      return `${deps.publicUrl}${deps.path(incident.number)}?${query}`;
    },
    check(number, exp, sig) {
      if (!exp || !sig || !/^\d{1,12}$/.test(exp)) return { ok: false, reason: 'invalid' };
      const given = Buffer.from(sig);
      const expected = Buffer.from(sign(number, Number(exp)));
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'invalid' };
      // Checked after the signature, so a forged link learns nothing about expiry.
      const expires = new Date(Number(exp) * 1000);
      return expires.getTime() > deps.now().getTime() ? { ok: true, expires } : { ok: false, reason: 'expired', expires };
    },
  };
}

/** The runtime's links: its settings' key, PUBLIC_URL and clock; undefined without a secret to sign with. */
export function timelineLinksFor(runtime: { config: Pick<Config, 'slack' | 'adminToken' | 'publicUrl'>; app: Pick<Runtime['app'], 'clock'> }): TimelineLinks | undefined {
  const key = timelineLinkKey({ slackSigningSecret: runtime.config.slack.signingSecret, adminToken: runtime.config.adminToken });
  return key && createTimelineLinks({ key, publicUrl: runtime.config.publicUrl, now: () => runtime.app.clock.now() });
}
