import { eq } from 'drizzle-orm';
import type { AppContext } from '../app/context.ts';
import { translatePublicUpdate } from '../app/translate-public-update.ts';
import { chatCommandFor } from '../chat/commands/index.ts';
import type { CommandContext, CommandReply } from '../chat/commands/types.ts';
import { ensureIncidentChannel, teamRenderContext } from '../chat/incident-channel.ts';
import type { ChatPlatform } from '../chat/platform.ts';
import type { PostmortemLinks } from '../chat/postmortem-link.ts';
import { renderPreview } from '../chat/render.ts';
import type { TimelineLinks } from '../chat/timeline-link.ts';
import type { Command } from '../core/command.ts';
import type { Actor } from '../core/model.ts';
import { findIncidentChatRef, loadPublicUpdate } from '../db/incident-repository.ts';
import * as t from '../db/schema.ts';
import type { I18n } from '../i18n.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';
import type { ApiCaller } from './tokens.ts';

/** What running a command for the API needs: the use cases, words, links, and the chat platforms to keep current. */
export interface ApiCommandDeps {
  app: AppContext;
  i18n: I18n;
  logger: Logger;
  /** The chat platforms registered on the runtime, looked up when a command runs (parts may register after this one). */
  platforms: () => readonly ChatPlatform[];
  timelineLinks?: TimelineLinks | undefined;
  postmortemLinks?: PostmortemLinks | undefined;
  /** Where commands are counted, as chat's are. */
  metrics?: Metrics | undefined;
}

/** Who a command comes from and how the caller reads and writes times. */
export interface ApiRequester {
  caller: ApiCaller;
  lang: string;
  timeZone?: string | undefined;
  /** The command receipt key, for a request sent with an Idempotency-Key. */
  receiptKey?: string | undefined;
}

/** What a command answered: chat's reply, and what the API adds from it. */
export interface ApiCommandOutcome {
  reply: CommandReply;
  incidentId: string | undefined;
}

/**
 * The actor a token acts as. Like upstream vendors, a token is no chat user: it takes the
 * console platform with an id of its own (`api:<name>`), which is how the timeline and the audit
 * log name it.
 */
export function apiActor(requester: ApiRequester): Actor {
  const { caller } = requester;
  return { platform: 'console', id: `api:${caller.name}`, name: caller.name, lang: requester.lang, ...(requester.timeZone ? { timeZone: requester.timeZone } : {}) };
}

/**
 * Runs one parsed command through the chat command that serves its verb — the same use
 * cases, validation and refusals as chat — as a responder of every incident
 * (`inIncidentChannel`: a token has a responder's rights). A write is then shown in the
 * incident's channel on every chat platform that has one, with its preview; a failure there
 * is logged, the write stands.
 */
export async function runApiCommand(deps: ApiCommandDeps, requester: ApiRequester, command: Command, incidentId?: string): Promise<ApiCommandOutcome> {
  const { app, i18n } = deps;
  const actor = apiActor(requester);
  const lang = requester.lang;
  const ctx: CommandContext = {
    app,
    i18n,
    lang,
    tr: i18n.t(lang),
    rc: teamRenderContext(app, i18n, lang),
    meta: { actor, inIncidentChannel: true, ...(requester.receiptKey ? { idempotencyKey: requester.receiptKey } : {}) },
    timelineLinks: deps.timelineLinks,
    postmortemLinks: deps.postmortemLinks,
    // Like an upstream import: the channel opens on the first platform, inviting nobody (a token is no chat user).
    ensureIncidentChannel: async (id) => {
      const platform = deps.platforms()[0];
      return platform ? ensureIncidentChannel({ app, i18n, platform, logger: deps.logger }, id, actor, []) : undefined;
    },
  };
  const definition = chatCommandFor(command.verb);
  if (definition.scope === 'global') {
    const reply = await definition.run(ctx, command);
    return { reply, incidentId: reply.incidentId };
  }
  if (!incidentId) throw new Error(`${command.verb} needs an incident`);
  const reply = await definition.run(ctx, command, incidentId);
  if (definition.writes && !reply.replayed) await showInChat(deps, incidentId, reply, requester.receiptKey);
  return { reply, incidentId };
}

/**
 * The write's answer and its preview in the incident's channel on each platform that has one;
 * failures logged. The live headers are not drawn here: the write owes the incident an
 * `incident.changed` job, committed with it, whose worker renders them (chat/header-refresh.ts).
 */
async function showInChat(deps: ApiCommandDeps, incidentId: string, reply: CommandReply, receiptKey: string | undefined): Promise<void> {
  const { app, i18n, logger } = deps;
  // As after a chat command: a preview's machine translation, bounded by the translator's timeout.
  if (reply.previewUpdateId && app.translator) {
    try {
      await translatePublicUpdate(app, reply.previewUpdateId);
    } catch (e) {
      logger.warn({ err: e, updateId: reply.previewUpdateId }, 'could not fill machine translations');
    }
  }
  for (const platform of deps.platforms()) {
    try {
      const chatRef = await findIncidentChatRef(app.db, incidentId, platform.platform);
      if (!chatRef) continue;
      // Keyed by the request: run again under its Idempotency-Key, nothing is posted twice.
      const key = receiptKey && `${receiptKey}:${platform.platform}`;
      await platform.post(chatRef.channelId, reply.message, { key: key && `${key}:result` });
      const update = reply.previewUpdateId ? await loadPublicUpdate(app.db, incidentId, reply.previewUpdateId) : undefined;
      const [incident] = update ? await app.db.select({ number: t.incident.number }).from(t.incident).where(eq(t.incident.id, incidentId)) : [];
      if (update && incident) {
        const preview = renderPreview(teamRenderContext(app, i18n), incident, update, app.settings.locales, { canRetryTranslation: Boolean(app.translator) });
        await platform.post(chatRef.channelId, preview, { key: key && `${key}:preview` });
      }
    } catch (e) {
      logger.warn({ err: e, incidentId, platform: platform.platform }, 'recorded through the API, but could not show it in the incident channel');
    }
  }
}
