import { createHash } from 'node:crypto';
import { and, eq, inArray } from 'drizzle-orm';
import { type CommandMeta, runWrite } from '../app/command-runner.ts';
import type { AppContext } from '../app/context.ts';
import { declareIncident } from '../app/declare-incident.ts';
import { createPublicUpdate } from '../app/public-updates.ts';
import { appendEntry, touchIncident } from '../app/writes.ts';
import { type Actor, type Impact, MAX_TEXT_LENGTH, MAX_TITLE_LENGTH, type Status } from '../core/model.ts';
import type { Tx } from '../db/client.ts';
import { loadSnapshot } from '../db/incident-repository.ts';
import * as t from '../db/schema.ts';
import { sourceLanguageOf } from '../translate/detect-language.ts';
import {
  affectedComponents,
  componentSlug,
  impactOf,
  isUpstreamResolved,
  severityOf,
  sortUpdates,
  statusOf,
  type UpstreamIncident,
  type UpstreamUpdate,
  updateTime,
} from './statuspage-feed.ts';

/** A followed page as the importer needs it. */
export interface FollowedPage {
  /** The polled `incidents.json` URL (the follow's identity). */
  url: string;
  /** When `follow` was run: vendor incidents resolved before it are history, not news. */
  createdAt: Date;
}

/** What one import did, for the chat side to show after commit. */
export interface ImportResult {
  incidentId: string;
  number: number;
  /** True when this import declared our incident. */
  opened: boolean;
  /** Public-update drafts created from vendor updates, oldest first. */
  drafts: { updateId: string; status: Status }[];
  /** Vendor updates newly written to the timeline. */
  imported: number;
}

/** Who vendor updates are recorded as: the vendor itself, writing in the team's first Latin-script language. */
export function vendorActor(ctx: AppContext, vendor: string, url: string): Actor {
  const lang = ctx.settings.locales.find((l) => l.split('-')[0] === 'en') ?? ctx.settings.locales[0]!;
  return { platform: 'console', id: `upstream:${new URL(url).host}`, name: vendor, lang };
}

const shortHash = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 16);

/**
 * Brings one vendor incident in: declares ours the first time (through `declareIncident`,
 * under an idempotency key, so a crash between steps is finished by the next poll, never
 * doubled), marks it upstream with the vendor's components, then imports each vendor update
 * not seen before — one transaction per update, keyed by its upstream id.
 * Returns undefined for a vendor incident that was over before we followed the page.
 */
export async function importUpstreamIncident(
  ctx: AppContext,
  page: FollowedPage,
  vendor: string,
  upstream: UpstreamIncident,
): Promise<ImportResult | undefined> {
  const actor = vendorActor(ctx, vendor, page.url);
  const meta: CommandMeta = { actor };
  let [mapping] = await ctx.db
    .select({ incidentId: t.upstreamIncident.incidentId })
    .from(t.upstreamIncident)
    .where(and(eq(t.upstreamIncident.url, page.url), eq(t.upstreamIncident.upstreamId, upstream.id)));
  let opened = false;
  if (!mapping) {
    if (isUpstreamResolved(upstream) && Date.parse(upstream.created_at) < page.createdAt.getTime()) return undefined;
    const now = ctx.clock.now();
    const startedAt = new Date(upstream.started_at ?? upstream.created_at);
    const { outcome, replayed } = await declareIncident(
      ctx,
      { actor, idempotencyKey: `upstream-declare:${shortHash(page.url)}:${upstream.id}` },
      {
        title: `${vendor}: ${upstream.name}`.slice(0, MAX_TITLE_LENGTH),
        severity: severityOf(upstream.impact),
        visibility: 'public',
        ...(Number.isNaN(startedAt.getTime()) ? {} : { started: startedAt > now ? now : startedAt }),
      },
    );
    opened = !replayed;
    await markUpstream(ctx, meta, page, vendor, upstream, outcome.incidentId);
    mapping = { incidentId: outcome.incidentId };
  }
  const drafts: ImportResult['drafts'] = [];
  let imported = 0;
  // Seen updates are skipped without a transaction (a 200 after a restart writes nothing, not even audit);
  // the claim inside importUpdate still settles two pollers racing for the same one.
  const seen = await ctx.db
    .select({ id: t.upstreamUpdate.upstreamUpdateId })
    .from(t.upstreamUpdate)
    .where(and(eq(t.upstreamUpdate.url, page.url), eq(t.upstreamUpdate.incidentId, mapping.incidentId)));
  const seenIds = new Set(seen.map((r) => r.id));
  for (const update of sortUpdates(upstream.incident_updates)) {
    if (seenIds.has(update.id)) continue;
    const result = await importUpdate(ctx, meta, page, vendor, upstream, update, mapping.incidentId);
    if (!result) continue;
    imported++;
    if (result.draft) drafts.push(result.draft);
  }
  const [row] = await ctx.db.select({ number: t.incident.number }).from(t.incident).where(eq(t.incident.id, mapping.incidentId));
  return { incidentId: mapping.incidentId, number: row!.number, opened, drafts, imported };
}

/** Records the link to the vendor incident and gives ours the vendor's components; a second run does nothing. */
async function markUpstream(ctx: AppContext, meta: CommandMeta, page: FollowedPage, vendor: string, upstream: UpstreamIncident, incidentId: string) {
  await runWrite(ctx, meta, 'upstream', incidentId, async (tx, now) => {
    const inserted = await tx
      .insert(t.upstreamIncident)
      .values({ url: page.url, upstreamId: upstream.id, incidentId, vendor, createdAt: now })
      .onConflictDoNothing()
      .returning({ incidentId: t.upstreamIncident.incidentId });
    if (inserted.length === 0) return { incidentId, marked: false };
    // The vendor's component names travel with the marker: translation keeps them as glossary terms.
    const marker = {
      vendor,
      url: page.url,
      id: upstream.id,
      ...(upstream.shortlink ? { shortlink: upstream.shortlink } : {}),
      components: vendorComponentNames(upstream.components, ...upstream.incident_updates.map((u) => u.affected_components ?? [])),
    };
    await tx.update(t.incident).set({ upstream: marker, updatedAt: now }).where(eq(t.incident.id, incidentId));
    const components = await applyComponents(tx, ctx, incidentId, affectedComponents(upstream), now);
    if (components.length > 0) {
      await appendEntry(tx, ctx, incidentId, { kind: 'component', actor: meta.actor, occurredAt: now, recordedAt: now, data: { components } });
    }
    return { incidentId, marked: true };
  });
}

/**
 * Adds or raises the incident's components. Without a catalog a vendor component becomes
 * ours under its slug and the vendor's name; with one (COMPONENTS_FILE), unknown ones are
 * left out rather than failing the import.
 */
async function applyComponents(tx: Tx, ctx: AppContext, incidentId: string, components: { id: string; name: string; impact: Impact }[], now: Date) {
  if (components.length === 0) return [];
  let usable = components;
  if (ctx.settings.strictComponents) {
    const known = await tx.select({ id: t.component.id }).from(t.component).where(inArray(t.component.id, components.map((c) => c.id)));
    usable = components.filter((c) => known.some((k) => k.id === c.id));
  } else {
    await tx
      .insert(t.component)
      .values(components.map((c) => ({ id: c.id, name: c.name, names: {}, position: 1000, createdAt: now })))
      .onConflictDoNothing();
  }
  for (const c of usable) {
    await tx
      .insert(t.incidentComponent)
      .values({ incidentId, componentId: c.id, impact: c.impact, since: now })
      .onConflictDoUpdate({ target: [t.incidentComponent.incidentId, t.incidentComponent.componentId], set: { impact: c.impact } });
  }
  return usable;
}

/** A vendor's component names with the ids the import gives them (`Programmable SMS` → `programmable-sms`), each once. */
export function vendorComponentNames(...lists: readonly (readonly { name: string }[])[]): { id: string; name: string }[] {
  const byName = new Map<string, { id: string; name: string }>();
  for (const list of lists) for (const c of list) if (c.name.trim() && !byName.has(c.name)) byName.set(c.name, { id: componentSlug(c.name), name: c.name });
  return [...byName.values()];
}

/** Adds the names an update brings to the marker's list; writes nothing when it knows them all. */
async function rememberVendorNames(tx: Tx, incidentId: string, upstream: Record<string, unknown> | null, named: readonly { name: string }[]) {
  if (!upstream) return;
  const known = Array.isArray(upstream.components) ? (upstream.components as { id: string; name: string }[]) : [];
  const merged = vendorComponentNames(known, named);
  if (merged.length === known.length) return;
  await tx.update(t.incident).set({ upstream: { ...upstream, components: merged } }).where(eq(t.incident.id, incidentId));
}

/**
 * One vendor update: a timeline entry of kind `upstream` at the vendor's time, the impacts
 * it reports, and — for a public incident still open to writes — a public-update draft at
 * the vendor's status, waiting in the preview (never published here, whatever
 * PUBLISH_APPROVAL says: re-publishing a vendor's words is a person's decision).
 */
async function importUpdate(
  ctx: AppContext,
  meta: CommandMeta,
  page: FollowedPage,
  vendor: string,
  upstream: UpstreamIncident,
  update: UpstreamUpdate,
  incidentId: string,
): Promise<{ draft?: { updateId: string; status: Status } } | undefined> {
  const { outcome } = await runWrite(ctx, meta, 'upstream', incidentId, async (tx, now) => {
    const claimed = await tx
      .insert(t.upstreamUpdate)
      .values({ url: page.url, upstreamUpdateId: update.id, incidentId, importedAt: now })
      .onConflictDoNothing()
      .returning({ id: t.upstreamUpdate.upstreamUpdateId });
    if (claimed.length === 0) return { incidentId, skipped: true };
    await tx.select({ id: t.incident.id }).from(t.incident).where(eq(t.incident.id, incidentId)).for('update');
    const incident = await loadSnapshot(tx, incidentId);
    if (!incident || incident.status === 'closed') return { incidentId, skipped: false };
    const body = update.body.trim().slice(0, MAX_TEXT_LENGTH);
    const status = statusOf(update.status);
    const at = updateTime(update);
    await appendEntry(tx, ctx, incidentId, {
      kind: 'upstream',
      actor: meta.actor,
      // The vendor's clock may run ahead of ours; an entry never lies in our future.
      occurredAt: at > now ? now : at,
      recordedAt: now,
      text: body || null,
      sourceLang: body ? sourceLanguageOf(body, meta.actor.lang, ctx.settings.locales) : null,
      data: { vendor, url: upstream.shortlink ?? page.url, upstreamIncidentId: upstream.id, upstreamUpdateId: update.id, status: update.status },
    });
    const raised = (update.affected_components ?? []).flatMap((c) => {
      const impact = impactOf(c.new_status ?? c.status);
      return impact ? [{ id: componentSlug(c.name), name: c.name, impact }] : [];
    });
    await applyComponents(tx, ctx, incidentId, raised, now);
    await rememberVendorNames(tx, incidentId, incident.upstream, update.affected_components ?? []);
    await touchIncident(tx, incidentId, now);
    if (incident.visibility === 'private' || !body) return { incidentId, skipped: false };
    const previewCtx: AppContext =
      ctx.settings.publishApproval === 'off' ? { ...ctx, settings: { ...ctx.settings, publishApproval: 'preview' } } : ctx;
    const draft = await createPublicUpdate(tx, previewCtx, incident, { status, body, actor: meta.actor, now });
    await tx
      .update(t.upstreamUpdate)
      .set({ publicUpdateId: draft.updateId })
      .where(and(eq(t.upstreamUpdate.url, page.url), eq(t.upstreamUpdate.upstreamUpdateId, update.id)));
    return { incidentId, skipped: false, draft: { updateId: draft.updateId, status } };
  });
  if (outcome.skipped) return undefined;
  return outcome.draft ? { draft: outcome.draft as { updateId: string; status: Status } } : {};
}
