import { and, eq, inArray } from 'drizzle-orm';
import { buildPostmortem } from '../core/postmortem.ts';
import type { Tx } from '../db/client.ts';
import { loadSnapshot } from '../db/incident-repository.ts';
import * as t from '../db/schema.ts';
import { type CommandMeta, type CommandResult, loadForActor, runWrite } from './command-runner.ts';
import type { AppContext } from './context.ts';
import { appendEntry } from './writes.ts';

export interface PostmortemGenerated {
  [key: string]: unknown;
  incidentId: string;
  number: number;
  langs: string[];
}

/** Renders and stores the draft in every configured language, each in that language's zone. */
export async function writePostmortems(tx: Tx, ctx: AppContext, incidentId: string, now: Date): Promise<string[]> {
  const incident = await loadSnapshot(tx, incidentId);
  if (!incident) return [];
  const langs = ctx.settings.locales;
  for (const lang of langs) {
    const markdown = buildPostmortem(incident, {
      lang,
      zone: ctx.settings.timeZones[lang] ?? ctx.settings.teamTimeZone,
      now,
      i18n: ctx.i18n,
      // The status page lives under /status; the bare public URL answers 404.
      publicUrl: `${ctx.settings.publicUrl}/status`,
    });
    await tx
      .insert(t.postmortem)
      .values({ incidentId, lang, markdown, generatedAt: now })
      .onConflictDoUpdate({ target: [t.postmortem.incidentId, t.postmortem.lang], set: { markdown, generatedAt: now } });
  }
  return langs;
}

/** `postmortem`: regenerates the draft from the timeline as it is now. */
export async function generatePostmortem(ctx: AppContext, meta: CommandMeta, incidentId: string): Promise<CommandResult<PostmortemGenerated>> {
  return runWrite(ctx, meta, 'postmortem', incidentId, async (tx, now) => {
    const incident = await loadForActor(tx, incidentId, meta, { write: false, requireResponder: true });
    await appendEntry(tx, ctx, incidentId, { kind: 'postmortem', actor: meta.actor, occurredAt: now, recordedAt: now, data: { langs: ctx.settings.locales } });
    const langs = await writePostmortems(tx, ctx, incidentId, now);
    return { incidentId, number: incident.number, langs };
  });
}

/** A stored draft in one language. */
export interface PostmortemDraft {
  lang: string;
  markdown: string;
  generatedAt: Date;
}

/** The incident's stored drafts in `langs` (every configured language by default), in that order. */
export async function readPostmortemDrafts(ctx: AppContext, incidentId: string, langs: readonly string[] = ctx.settings.locales): Promise<PostmortemDraft[]> {
  if (langs.length === 0) return [];
  const rows = await ctx.db
    .select({ lang: t.postmortem.lang, markdown: t.postmortem.markdown, generatedAt: t.postmortem.generatedAt })
    .from(t.postmortem)
    .where(and(eq(t.postmortem.incidentId, incidentId), inArray(t.postmortem.lang, [...langs])));
  return langs.flatMap((lang) => rows.filter((r) => r.lang === lang));
}
