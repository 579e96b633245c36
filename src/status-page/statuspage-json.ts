import { createHash } from 'node:crypto';
import type { TFunction } from 'i18next';
import type { PublicIncident, StatusData } from './data.ts';
import { bodyIn, componentStatus, incidentImpact, isOpen, nameIn, pageIndicator } from './view.ts';

/** What the JSON needs besides the data: the reader's language and where the page lives. */
export interface JsonContext {
  lang: string;
  timeZone: string;
  publicUrl: string;
  t: TFunction;
}

/** Statuspage's page id is an opaque 12-character string; ours is derived from PUBLIC_URL so it is stable. */
export function pageId(publicUrl: string): string {
  return createHash('sha256').update(publicUrl).digest('hex').slice(0, 12);
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

function page(data: StatusData, ctx: JsonContext) {
  return {
    id: pageId(ctx.publicUrl),
    name: ctx.t('public:page.title'),
    url: `${ctx.publicUrl}/status`,
    time_zone: ctx.timeZone,
    updated_at: iso(data.updatedAt),
  };
}

function status(data: StatusData, ctx: JsonContext) {
  const indicator = pageIndicator(data);
  return { indicator, description: ctx.t(`public:indicator.${indicator}`) };
}

function components(data: StatusData, ctx: JsonContext) {
  const id = pageId(ctx.publicUrl);
  return data.components.map((c) => {
    const changed = data.incidents
      .filter((i) => i.components.some((ic) => ic.id === c.id))
      .map((i) => i.updatedAt.getTime());
    return {
      id: c.id,
      name: nameIn(c, ctx.lang),
      status: componentStatus(data, c.id),
      created_at: iso(c.createdAt),
      updated_at: iso(new Date(Math.max(c.createdAt.getTime(), ...changed))),
      position: c.position,
      description: null,
      showcase: true,
      start_date: null,
      group_id: null,
      page_id: id,
      group: false,
      only_show_if_degraded: false,
    };
  });
}

function incident(i: PublicIncident, data: StatusData, ctx: JsonContext) {
  const id = pageId(ctx.publicUrl);
  const comps = components(data, ctx).filter((c) => i.components.some((ic) => ic.id === c.id));
  return {
    id: i.id,
    name: i.title,
    status: i.publicStatus,
    created_at: iso(i.createdAt),
    updated_at: iso(i.updatedAt),
    monitoring_at: iso(i.monitoringAt),
    resolved_at: iso(i.resolvedAt),
    impact: incidentImpact(i),
    shortlink: `${ctx.publicUrl}/status/incidents/${i.id}`,
    started_at: iso(i.startedAt),
    page_id: id,
    incident_updates: i.updates.map((u) => ({
      id: u.id,
      status: u.status === 'closed' ? 'resolved' : u.status,
      body: bodyIn(u, ctx.lang),
      incident_id: i.id,
      created_at: iso(u.publishedAt),
      updated_at: iso(u.updatedAt),
      display_at: iso(u.publishedAt),
      affected_components: null,
      deliver_notifications: true,
      custom_tweet: null,
      tweet_id: null,
    })),
    components: comps,
  };
}

/** The five documents of Statuspage's public v2 API, by path under /api/v2/. */
export const JSON_DOCUMENTS = {
  'status.json': (data: StatusData, ctx: JsonContext) => ({ page: page(data, ctx), status: status(data, ctx) }),
  'summary.json': (data: StatusData, ctx: JsonContext) => ({
    page: page(data, ctx),
    components: components(data, ctx),
    incidents: data.incidents.filter(isOpen).map((i) => incident(i, data, ctx)),
    scheduled_maintenances: [],
    status: status(data, ctx),
  }),
  'components.json': (data: StatusData, ctx: JsonContext) => ({ page: page(data, ctx), components: components(data, ctx) }),
  // Statuspage lists the 50 most recent incidents.
  'incidents.json': (data: StatusData, ctx: JsonContext) => ({
    page: page(data, ctx),
    incidents: data.incidents.slice(0, 50).map((i) => incident(i, data, ctx)),
  }),
  'incidents/unresolved.json': (data: StatusData, ctx: JsonContext) => ({
    page: page(data, ctx),
    incidents: data.incidents.filter(isOpen).map((i) => incident(i, data, ctx)),
  }),
} as const;

export type JsonDocument = keyof typeof JSON_DOCUMENTS;

/**
 * JSON with `<`, `>` and `&` written as \u escapes: the same values for every parser, but
 * no markup even if a client wrongly embeds or sniffs it as HTML.
 */
export function safeJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
