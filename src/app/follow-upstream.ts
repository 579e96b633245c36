import { eq } from 'drizzle-orm';
import { DomainError } from '../core/errors.ts';
import * as t from '../db/schema.ts';
import { type CommandMeta, type CommandResult, runWrite } from './command-runner.ts';
import type { AppContext } from './context.ts';

export interface FollowStarted {
  [key: string]: unknown;
  followId: string;
  url: string;
  /** The Statuspage-v2 JSON that will be polled. */
  incidentsUrl: string;
  alreadyFollowing: boolean;
}

/** The `incidents.json` of a Statuspage-v2 page, from its base URL or any of its v2 JSON URLs. */
export function statuspageIncidentsUrl(input: string): string {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new DomainError('bad_url', { value: input }, 'follow');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new DomainError('bad_url', { value: input }, 'follow');
  url.search = '';
  url.hash = '';
  const apiIndex = url.pathname.indexOf('/api/v2/');
  const base = apiIndex >= 0 ? url.pathname.slice(0, apiIndex) : url.pathname.replace(/\/+$/, '');
  url.pathname = `${base}/api/v2/incidents.json`;
  return url.toString();
}

/** `follow <url>`: records a vendor status page to watch; following twice is harmless. */
export async function followUpstream(ctx: AppContext, meta: CommandMeta, input: { url: string }): Promise<CommandResult<FollowStarted>> {
  const incidentsUrl = statuspageIncidentsUrl(input.url);
  return runWrite(ctx, meta, 'follow', undefined, async (tx, now) => {
    const [existing] = await tx.select().from(t.upstreamFollow).where(eq(t.upstreamFollow.url, incidentsUrl));
    if (existing) return { followId: existing.id, url: input.url, incidentsUrl, alreadyFollowing: true };
    const followId = ctx.newId();
    await tx.insert(t.upstreamFollow).values({ id: followId, url: incidentsUrl, createdBy: meta.actor.id, createdAt: now });
    return { followId, url: input.url, incidentsUrl, alreadyFollowing: false };
  });
}
