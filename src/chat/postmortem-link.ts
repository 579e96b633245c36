import type { Config } from '../config.ts';
import type { Visibility } from '../core/model.ts';
import type { Runtime } from '../runtime.ts';
import { createSignedIncidentLinks, type LinkCheck, TIMELINE_LINK_TTL_MS, timelineLinkKey } from './timeline-link.ts';

/** How long a link opens the postmortem: as a timeline link, 7 days for a public incident, 24 h for a private one. */
export const POSTMORTEM_LINK_TTL_MS: Record<Visibility, number> = TIMELINE_LINK_TTL_MS;

/** The path of an incident's rendered postmortem; `.md` for the stored Markdown draft. */
export function postmortemPath(number: number, format: 'html' | 'markdown' = 'html'): string {
  return `/incidents/${number}/postmortem${format === 'markdown' ? '.md' : ''}`;
}

/** Signs and checks links to incidents' postmortem drafts (the pattern of chat/timeline-link.ts). */
export interface PostmortemLinks {
  /** An absolute signed URL of the incident's rendered postmortem in `lang`, valid for {@link POSTMORTEM_LINK_TTL_MS}. */
  url(incident: { number: number; visibility: Visibility }, lang: string): string;
  /** Checks `exp` (Unix seconds) and `sig` of a request for incident `number`. */
  check(number: number, exp: string | undefined, sig: string | undefined): LinkCheck;
}

/**
 * Links signed with `key` (the timeline links' key, see {@link timelineLinkKey}) over a message
 * of their own (`postmortem\n<n>\n<exp>`), so a timeline link's signature never opens a
 * postmortem nor the other way round.
 */
export function createPostmortemLinks(deps: { key: Buffer; publicUrl: string; now: () => Date }): PostmortemLinks {
  return createSignedIncidentLinks({ ...deps, purpose: 'postmortem', path: (number) => postmortemPath(number), ttlMs: POSTMORTEM_LINK_TTL_MS });
}

/** The runtime's postmortem links: its settings' key, PUBLIC_URL and clock; undefined without a secret to sign with. */
export function postmortemLinksFor(runtime: { config: Pick<Config, 'slack' | 'adminToken' | 'publicUrl'>; app: Pick<Runtime['app'], 'clock'> }): PostmortemLinks | undefined {
  const key = timelineLinkKey({ slackSigningSecret: runtime.config.slack.signingSecret, adminToken: runtime.config.adminToken });
  return key && createPostmortemLinks({ key, publicUrl: runtime.config.publicUrl, now: () => runtime.app.clock.now() });
}
