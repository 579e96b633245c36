import type { TFunction } from 'i18next';
import type { I18n } from '../i18n.ts';
import { isoIn, pageId } from './json-common.ts';
import { MAINTENANCE_DOCUMENTS, maintenanceJson, summaryMaintenances } from './maintenance.ts';
import type { PublicIncident, StatusData } from './data.ts';
import { bodyIn, type ComponentStatus, componentStatus, incidentImpact, isOpen, nameIn, pageIndicator, worse } from './view.ts';

/** A component group (COMPONENTS_FILE `group:`): Statuspage lists it among the components with its members' ids. */
export interface ComponentGroup {
  id: string;
  name: string;
  names: Record<string, string>;
  /** Member component ids, in catalog order. */
  components: string[];
}

/** What the JSON needs besides the data: the reader's language and where the page lives. */
export interface JsonContext {
  lang: string;
  timeZone: string;
  publicUrl: string;
  t: TFunction;
  /** Renders maintenance notices (dates per language and zone). */
  i18n: I18n;
  groups?: readonly ComponentGroup[];
}

export { pageId } from './json-common.ts';

function page(data: StatusData, ctx: JsonContext) {
  const iso = isoIn(ctx.timeZone);
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
  const iso = isoIn(ctx.timeZone);
  const groups = (ctx.groups ?? []).filter((g) => g.components.some((m) => data.components.some((c) => c.id === m)));
  const groupOf = (componentId: string) => groups.find((g) => g.components.includes(componentId))?.id ?? null;
  const updatedOf = (ids: string[], since: number) =>
    new Date(Math.max(since, ...data.incidents.filter((i) => i.components.some((ic) => ids.includes(ic.id))).map((i) => i.updatedAt.getTime())));
  const members = data.components.map((c) => {
    return {
      id: c.id,
      name: nameIn(c, ctx.lang),
      status: componentStatus(data, c.id),
      created_at: iso(c.createdAt),
      updated_at: iso(updatedOf([c.id], c.createdAt.getTime())),
      position: c.position,
      description: null,
      showcase: true,
      start_date: null,
      group_id: groupOf(c.id),
      page_id: id,
      group: false,
      only_show_if_degraded: false,
    };
  });
  // Group entries come before their members, at the position of their first member, as Statuspage lists them.
  const out: (ReturnType<typeof members.at> & {})[] = [];
  const placed = new Set<string>();
  for (const [index, c] of data.components.entries()) {
    const group = groups.find((g) => g.components.includes(c.id));
    if (group && !placed.has(group.id)) {
      placed.add(group.id);
      const ids = group.components.filter((m) => data.components.some((x) => x.id === m));
      const created = Math.min(...data.components.filter((x) => ids.includes(x.id)).map((x) => x.createdAt.getTime()));
      out.push({
        id: group.id,
        name: nameIn(group, ctx.lang),
        status: ids.map((m) => componentStatus(data, m)).reduce<ComponentStatus>(worse, 'operational'),
        created_at: iso(new Date(created)),
        updated_at: iso(updatedOf(ids, created)),
        position: c.position,
        description: null,
        showcase: false,
        start_date: null,
        group_id: null,
        page_id: id,
        group: true,
        only_show_if_degraded: false,
        components: ids,
      } as (typeof out)[number]);
    }
    out.push(members[index]!);
  }
  return out;
}

/**
 * Statuspage's `affected_components` of each update: the components whose status that update
 * changed (`old_status` → `new_status`), null when it changed none. An affected component
 * reads its impact from the first update at or after its `since`, and operational again
 * from the resolving update.
 */
function affectedByUpdate(i: PublicIncident, data: StatusData, ctx: JsonContext): Map<string, { code: string; name: string; old_status: ComponentStatus; new_status: ComponentStatus }[] | null> {
  const result = new Map<string, { code: string; name: string; old_status: ComponentStatus; new_status: ComponentStatus }[] | null>();
  const current = new Map<string, ComponentStatus>();
  for (const u of [...i.updates].reverse()) {
    const changes = [];
    for (const ic of i.components) {
      const resolved = u.status === 'resolved' || u.status === 'closed';
      const next: ComponentStatus = resolved || ic.since.getTime() > u.publishedAt.getTime() ? 'operational' : ic.impact;
      const before = current.get(ic.id) ?? 'operational';
      if (next === before) continue;
      current.set(ic.id, next);
      const component = data.components.find((c) => c.id === ic.id);
      changes.push({ code: ic.id, name: component ? nameIn(component, ctx.lang) : ic.id, old_status: before, new_status: next });
    }
    result.set(u.id, changes.length ? changes : null);
  }
  return result;
}

function incident(i: PublicIncident, data: StatusData, ctx: JsonContext) {
  const id = pageId(ctx.publicUrl);
  const iso = isoIn(ctx.timeZone);
  const comps = components(data, ctx).filter((c) => !c.group && i.components.some((ic) => ic.id === c.id));
  const affected = affectedByUpdate(i, data, ctx);
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
      affected_components: affected.get(u.id) ?? null,
      deliver_notifications: true,
      custom_tweet: null,
      tweet_id: null,
    })),
    components: comps,
  };
}

/** What a maintenance's JSON needs, from the page's data and the reader's context. */
function maintenanceContext(data: StatusData, ctx: JsonContext) {
  return { i18n: ctx.i18n, lang: ctx.lang, timeZone: ctx.timeZone, publicUrl: ctx.publicUrl, components: new Map(data.components.map((c) => [c.id, c])) };
}

/** A scheduled-maintenances document: the page and the maintenances `pick` lists. */
const maintenanceDocument = (pick: (all: NonNullable<StatusData['maintenances']>) => NonNullable<StatusData['maintenances']>) => (data: StatusData, ctx: JsonContext) => ({
  page: page(data, ctx),
  scheduled_maintenances: pick(data.maintenances ?? []).map((m) => maintenanceJson(m, maintenanceContext(data, ctx))),
});

/** The documents of Statuspage's public v2 API, by path under /api/v2/. */
export const JSON_DOCUMENTS = {
  'status.json': (data: StatusData, ctx: JsonContext) => ({ page: page(data, ctx), status: status(data, ctx) }),
  'summary.json': (data: StatusData, ctx: JsonContext) => ({
    page: page(data, ctx),
    components: components(data, ctx),
    incidents: data.incidents.filter(isOpen).map((i) => incident(i, data, ctx)),
    // Statuspage: upcoming and in-progress maintenances, soonest first.
    scheduled_maintenances: summaryMaintenances(data.maintenances ?? []).map((m) => maintenanceJson(m, maintenanceContext(data, ctx))),
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
  'scheduled-maintenances.json': maintenanceDocument(MAINTENANCE_DOCUMENTS['scheduled-maintenances.json']),
  'scheduled-maintenances/upcoming.json': maintenanceDocument(MAINTENANCE_DOCUMENTS['scheduled-maintenances/upcoming.json']),
  'scheduled-maintenances/active.json': maintenanceDocument(MAINTENANCE_DOCUMENTS['scheduled-maintenances/active.json']),
} as const;

export type JsonDocument = keyof typeof JSON_DOCUMENTS;

/**
 * JSON with `<`, `>` and `&` written as \u escapes: the same values for every parser, but
 * no markup even if a client wrongly embeds or sniffs it as HTML.
 */
export function safeJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
