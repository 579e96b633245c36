import type { IncidentSnapshot } from '../core/incident.ts';
import { eq } from 'drizzle-orm';
import type { AppContext } from '../app/context.ts';
import { incidentSlug } from '../core/incident.ts';
import { type Actor, formatIncidentRef } from '../core/model.ts';
import { findIncidentChatRef, loadSnapshot } from '../db/incident-repository.ts';
import * as t from '../db/schema.ts';
import type { I18n } from '../i18n.ts';
import type { Logger } from '../logger.ts';
import type { NeutralMessage } from './message.ts';
import type { ChatPlatform } from './platform.ts';
import { type RenderContext, renderHeader } from './render.ts';

/** What opening or refreshing an incident's channel needs; the dispatcher and background workers share it. */
export interface IncidentChannelDeps {
  app: AppContext;
  i18n: I18n;
  platform: ChatPlatform;
  logger: Logger;
}

/** How a channel renders for the team: its first language, its zone, its cadence. */
export function teamRenderContext(app: AppContext, i18n: I18n, lang = app.settings.locales[0]!): RenderContext {
  return { i18n, lang, zone: app.settings.teamTimeZone, now: app.clock.now(), defaultReminderMinutes: app.settings.updateReminderMinutes };
}

/**
 * Opens the incident's channel unless it already has one (a retried declare finds it),
 * posts the live header and announces the incident; returns the channel's name, or null
 * when it could not (logged; the incident itself is recorded either way).
 * `inviteUserIds` are the people brought in (the declarer); an upstream import invites nobody.
 * `openToTeam` (an incident monitoring declared, with nobody to invite): the channel is opened
 * as for a public incident and the incident announced, whatever its visibility.
 */
export async function ensureIncidentChannel(
  deps: IncidentChannelDeps,
  incidentId: string,
  actor: Pick<Actor, 'name'>,
  inviteUserIds: string[],
  options: { openToTeam?: boolean } = {},
): Promise<{ channelId: string; name: string } | null> {
  const { app, platform, logger } = deps;
  try {
    const existing = await findIncidentChatRef(app.db, incidentId, platform.platform);
    const incident = await loadSnapshot(app.db, incidentId);
    if (!incident) return null;
    const slug = incidentSlug(incident.number, incident.title);
    if (existing) {
      // Opened by a run that stopped before its header (a crash): the header is owed still.
      if (!existing.headerMessageId) await upsertIncidentHeader(deps, existing, incident);
      return { channelId: existing.channelId, name: slug };
    }
    const teamLang = app.settings.locales[0]!;
    const rc = teamRenderContext(app, deps.i18n, teamLang);
    const tt = deps.i18n.t(teamLang);
    const opened = await platform.openIncidentChannel({
      number: incident.number,
      title: incident.title,
      slug,
      inviteUserIds,
      visibility: options.openToTeam ? 'public' : incident.visibility,
      topic: tt('header.title', { ref: formatIncidentRef(incident.number), title: incident.title }),
    });
    // Filed before anything else is posted there: a run that stops after this point (a crash)
    // finds the channel when it runs again instead of opening a second one.
    const chatRefId = app.newId();
    await app.db
      .insert(t.chatRef)
      .values({
        id: chatRefId,
        incidentId,
        platform: platform.platform,
        purpose: 'incident',
        channelId: opened.channelId,
        teamId: opened.teamId ?? null,
        conversationRef: opened.conversationRef ?? null,
        headerMessageId: null,
        createdAt: app.clock.now(),
      })
      .onConflictDoNothing();
    const headerId = await platform.upsertHeader(opened.channelId, undefined, renderHeader(rc, incident));
    await app.db.update(t.chatRef).set({ headerMessageId: headerId }).where(eq(t.chatRef.id, chatRefId));
    // A private incident is for its responders only: no announcement in the incidents channel.
    if (incident.visibility === 'private' && !options.openToTeam) return { channelId: opened.channelId, name: opened.name ?? slug };
    const line = tt('announce.declared', {
      ref: formatIncidentRef(incident.number),
      user: actor.name,
      title: incident.title,
      severity: tt(`common:severity.${incident.severity}`),
    });
    // The channel is open: a failed announcement is logged, not reported as a failed channel.
    await platform.announce({ text: line, lines: [line] } satisfies NeutralMessage, { key: `incident:${incidentId}:declared` }).catch((e: unknown) => logger.warn({ err: e, incidentId }, 'could not announce the incident'));
    return { channelId: opened.channelId, name: opened.name ?? slug };
  } catch (e) {
    logger.error({ err: e, incidentId }, 'could not open the incident channel');
    return null;
  }
}

/** Posts or edits the header of an incident already loaded, remembering its message id; failures are logged (or thrown, with `rethrow`). */
export async function upsertIncidentHeader(
  deps: IncidentChannelDeps,
  chatRef: { id: string; channelId: string; headerMessageId: string | null },
  incident: IncidentSnapshot,
  options: { rethrow?: boolean } = {},
): Promise<void> {
  const { app, platform, logger } = deps;
  try {
    const messageId = await platform.upsertHeader(chatRef.channelId, chatRef.headerMessageId ?? undefined, renderHeader(teamRenderContext(app, deps.i18n), incident));
    if (messageId !== chatRef.headerMessageId) await app.db.update(t.chatRef).set({ headerMessageId: messageId }).where(eq(t.chatRef.id, chatRef.id));
  } catch (e) {
    if (options.rethrow) throw e;
    logger.warn({ err: e, incidentId: incident.id }, 'could not refresh the incident header');
  }
}
