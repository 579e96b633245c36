import { createHash } from 'node:crypto';
import { DateTime } from 'luxon';

/** Statuspage's page id is an opaque 12-character string; ours is derived from PUBLIC_URL so it is stable. */
export function pageId(publicUrl: string): string {
  return createHash('sha256').update(publicUrl).digest('hex').slice(0, 12);
}

/** ISO 8601 with the reader's offset, as Statuspage writes its times in the page's zone (`Z` in UTC). */
export function isoIn(zone: string): (d: Date | null) => string | null {
  if (zone === 'UTC' || zone === 'Etc/UTC') return (d) => (d ? d.toISOString() : null);
  return (d) => (d ? DateTime.fromJSDate(d, { zone }).toISO({ suppressMilliseconds: false }) : null);
}
