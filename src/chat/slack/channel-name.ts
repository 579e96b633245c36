/** Slack's longest channel name. */
export const MAX_CHANNEL_NAME = 80;

/**
 * A valid Slack channel name from a slug: lowercase letters, digits, hyphens and
 * underscores, at most 80 characters; `attempt` > 1 appends `-<attempt>` for a name clash,
 * trimming the slug rather than the suffix so the name stays unique.
 */
export function slackChannelName(slug: string, attempt = 1): string {
  const clean =
    slug
      .toLowerCase()
      .replace(/[^a-z0-9_-]+/g, '-')
      .replace(/-{2,}/g, '-')
      .replace(/^-+|-+$/g, '') || 'incident';
  const suffix = attempt > 1 ? `-${attempt}` : '';
  const base = clean.slice(0, MAX_CHANNEL_NAME - suffix.length).replace(/-+$/, '');
  return `${base}${suffix}`;
}
