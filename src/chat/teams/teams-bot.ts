import { eq } from 'drizzle-orm';
import { ActivityTypes, TurnContext } from 'botbuilder';
import { IANAZone } from 'luxon';
import { decodeTeamsText } from './teams-text.ts';
import type { AppContext } from '../../app/context.ts';
import { type Actor, isUuid } from '../../core/model.ts';
import { loadSnapshot } from '../../db/incident-repository.ts';
import * as t from '../../db/schema.ts';
import type { I18n } from '../../i18n.ts';
import type { Logger } from '../../logger.ts';
import type { Metrics } from '../../metrics.ts';
import { Dispatcher } from '../dispatcher.ts';
import type { PostmortemLinks } from '../postmortem-link.ts';
import { errorMessage } from '../errors.ts';
import { type DispatchResult, messageToText, type NeutralMessage } from '../message.ts';
import { bodyIn, renderPreview } from '../render.ts';
import { teamRenderContext } from '../incident-channel.ts';
import {
  ADAPTIVE_CARD_CONTENT_TYPE,
  type AdaptiveCard,
  CARD_VERBS,
  declareFromForm,
  declareFormCard,
  messageActivity,
  messageToCard,
  translationFormCard,
} from './cards.ts';
import { type ConversationParts, channelOf, findConversation, partsOfReference, rememberIncidentsChannel, resolveChannelId } from './conversation-store.ts';
import { queuePreviewTranslation, TurnPosts } from './teams-outbox.ts';
import type { ChatOrigin } from '../../app/incident-place.ts';
import { TeamsPlatform } from './teams-platform.ts';

export interface TeamsBotDeps {
  app: AppContext;
  i18n: I18n;
  logger: Logger;
  metrics?: Metrics | undefined;
  /** `TEAMS_TEAM_ID` when Graph is configured: incident channels are created there. */
  graphTeamId?: string | undefined;
  incidentsChannel?: string | undefined;
  /** Signs links to the rendered postmortem (the link card at `close` and `postmortem`). */
  postmortemLinks?: PostmortemLinks | undefined;
  /**
   * Runs what a turn leaves for after its answer (its posts elsewhere, its preview's
   * translation) once the turn has answered; by default the turn itself awaits it.
   */
  afterTurn?: ((conversationId: string, work: () => Promise<void>) => void) | undefined;
}

/** What a turn does once it has answered: its posts outside the conversation, then the rest in order. */
interface TurnLater {
  posts: TurnPosts;
  tasks: (() => Promise<void>)[];
}

/** What an `adaptiveCard/action` invoke answers: the card that replaces the one clicked. */
type CardResponse = { statusCode: 200; type: typeof ADAPTIVE_CARD_CONTENT_TYPE; value: AdaptiveCard } | { statusCode: 400; type: 'application/vnd.microsoft.error'; value: { code: string; message: string } };

/**
 * The zone the person's typed times are read in: the activity's `localTimezone`, else the
 * `clientInfo` entity's `timezone`; undefined (the team's zone) when neither is a valid IANA zone.
 */
export function timeZoneOf(context: TurnContext): string | undefined {
  const activity = context.activity as { localTimezone?: string; entities?: { type?: string; timezone?: string }[] };
  const candidates = [activity.localTimezone, activity.entities?.find((e) => e.type === 'clientInfo')?.timezone];
  return candidates.find((zone): zone is string => typeof zone === 'string' && IANAZone.isValidZone(zone));
}

/** The command text of a message: the bot's @mention removed, a typed `/incident` tolerated. */
export function commandText(context: TurnContext): string {
  const activity = context.activity;
  // Recorded Teams mentions sometimes lack `text` in the entity: removeMentionText would then remove nothing.
  const hasMentionText = (activity.entities ?? []).some((e) => e.type === 'mention' && (e as { mentioned?: { id?: string }; text?: string }).mentioned?.id === activity.recipient?.id && typeof (e as { text?: string }).text === 'string');
  let text = hasMentionText ? TurnContext.removeRecipientMention(activity) : (activity.text ?? '');
  const botName = activity.recipient?.name;
  if (botName) text = text.split(`<at>${botName}</at>`).join(' ');
  text = text.replace(/&nbsp;/g, ' ').replace(/\u00a0/g, ' ').trim();
  return text.replace(/^\/incident\b\s*/i, '').trim();
}

/** Where an incoming activity came from, as the parts tsuiki stores to post there later. */
export function originOf(context: TurnContext): ConversationParts | undefined {
  const ref = TurnContext.getConversationReference(context.activity) as unknown as Record<string, unknown>;
  return partsOfReference({ ...ref, channelData: context.activity.channelData as unknown });
}

/**
 * One Teams turn: messages become dispatcher commands, `adaptiveCard/action` invokes become
 * button presses answered with the refreshed card. The turn only answers its invoker (the
 * reply, or the card that replaces the one clicked); everything else a command causes in
 * Teams is queued in the command's transaction and sent by the Teams worker.
 */
export class TeamsBot {
  constructor(private readonly deps: TeamsBotDeps) {}

  /** The CloudAdapter logic callback. */
  readonly onTurn = async (context: TurnContext): Promise<void> => {
    await this.rememberIncidentsChannel(context);
    const activity = context.activity;
    const later: TurnLater = { posts: new TurnPosts(), tasks: [] };
    if (activity.type === ActivityTypes.Message) {
      if (!activity.text && activity.value && typeof activity.value === 'object') {
        // Action.Submit from clients without Universal Actions: the same verbs, answered with a new message.
        const card = await this.cardAction(context, activity.value as Record<string, unknown>, later);
        if (card.statusCode === 200) await context.sendActivity({ type: 'message', attachments: [{ contentType: ADAPTIVE_CARD_CONTENT_TYPE, content: card.value }] });
      } else {
        await this.onMessage(context, later);
      }
    } else if (activity.type === ActivityTypes.Invoke && activity.name === 'adaptiveCard/action') {
      const value = (activity.value ?? {}) as { action?: { verb?: string; data?: Record<string, unknown> } };
      const body = await this.cardAction(context, { ...(value.action?.data ?? {}), verb: value.action?.verb }, later);
      await context.sendActivity({ type: ActivityTypes.InvokeResponse, value: { status: 200, body } });
    }
    await this.afterAnswer(activity.conversation?.id ?? '', later);
  };

  /**
   * The turn has answered: its posts outside the conversation are queued (one transaction),
   * then the tasks that name them run. A failure is logged: the command's write stands.
   */
  private async afterAnswer(conversationId: string, later: TurnLater): Promise<void> {
    if (later.posts.size === 0 && later.tasks.length === 0) return;
    const { app, logger } = this.deps;
    const work = async () => {
      try {
        await later.posts.queue(app.db);
      } catch (e) {
        logger.warn({ err: e }, 'recorded, but could not queue the result in the incident channel');
        return;
      }
      for (const task of later.tasks) await task();
    };
    if (this.deps.afterTurn) this.deps.afterTurn(conversationId, work);
    else await work();
  }

  private actorOf(context: TurnContext): Actor {
    const from = context.activity.from as { id: string; name?: string; aadObjectId?: string };
    const timeZone = timeZoneOf(context);
    return { platform: 'teams', id: from.aadObjectId ?? from.id, name: from.name ?? from.id, lang: this.deps.i18n.pick(context.activity.locale), ...(timeZone ? { timeZone } : {}) };
  }

  private dispatcherFor(context: TurnContext, later: TurnLater): Dispatcher {
    const { app, i18n, logger, metrics, graphTeamId, incidentsChannel, postmortemLinks } = this.deps;
    const platform = new TeamsPlatform({ db: app.db, clock: app.clock, newId: app.newId, logger, graphTeamId, incidentsChannel, origin: originOf(context), turnPosts: later.posts });
    // The turn answers its invoker and nothing else: the header follows from the write's
    // incident.changed job, a preview's translation from the worker (translateLater).
    return new Dispatcher({ app, i18n, platform, logger, postmortemLinks, deferTranslation: true, ...(metrics ? { metrics } : {}) });
  }

  /** Where the turn came from, so a declaration's place in Teams opens there (and its backstop job knows it). */
  private originFor(context: TurnContext): { origin: ChatOrigin } | Record<string, never> {
    const parts = originOf(context);
    return parts ? { origin: { platform: 'teams', conversation: { ...parts } } } : {};
  }

  /** A retry of the same activity (Teams redelivers when a turn is slow) records nothing new. */
  private keyOf(context: TurnContext, suffix = ''): string | undefined {
    const { id, conversation } = context.activity;
    return id ? `teams:${conversation.id}:${id}${suffix}` : undefined;
  }

  private async onMessage(context: TurnContext, later: TurnLater): Promise<void> {
    const actor = this.actorOf(context);
    // Decoded once, here: `<at>`, tags and character references become what the person typed.
    // Always, whatever `textFormat` says: Teams marks messages `plain` that still carry `<at>` and references.
    const decoded = decodeTeamsText(commandText(context), context.activity.entities ?? []);
    const text = decoded.text || 'help';
    const channelId = await resolveChannelId(this.deps.app.db, context.activity.conversation.id);
    const key = this.keyOf(context);
    const result = await this.dispatcherFor(context, later).handle({ text, mentions: decoded.mentions, actor, channelId, ...this.originFor(context), ...(key ? { idempotencyKey: key } : {}) });
    const sent = await this.sendReplies(context, result);
    const here = whereOf(context);
    later.tasks.push(() => this.translateLater(here, result, actor.lang, sent.at(-1)));
    if (result.openForm?.kind === 'declare') {
      await context.sendActivity({ type: 'message', attachments: [{ contentType: ADAPTIVE_CARD_CONTENT_TYPE, content: declareFormCard(this.deps.i18n.t(actor.lang)) }] });
    }
  }

  /** Sends the replies; returns their activity ids (undefined where the connector gave none). */
  private async sendReplies(context: TurnContext, result: DispatchResult): Promise<(string | undefined)[]> {
    // Teams has no ephemeral messages in channels: every reply goes to the conversation it came from.
    const ids: (string | undefined)[] = [];
    for (const reply of result.replies) ids.push((await context.sendActivity(messageActivity(reply.message)))?.id);
    return ids;
  }

  /**
   * Queues the preview's machine translation for the worker, which edits the preview once it
   * lands: the queued post in the incident's place, or else this turn's last reply (the
   * preview, by `previewActivityId`). Never fails the turn: the preview shows what is missing.
   */
  private async translateLater(here: { serviceUrl: string; conversationId: string }, result: DispatchResult, lang: string, previewActivityId: string | undefined): Promise<void> {
    const pending = result.translationPending;
    if (!pending) return;
    const { app, logger } = this.deps;
    try {
      const at = app.clock.now();
      if (pending.postedAs) {
        const row = await findConversation(app.db, pending.postedAs.channelId, at, app.newId);
        if (!row) return;
        await queuePreviewTranslation(app.db, { updateId: pending.updateId, lang, target: { kind: 'queued', conversation: row.id, messageId: pending.postedAs.messageId } }, at);
      } else if (previewActivityId) {
        await queuePreviewTranslation(app.db, { updateId: pending.updateId, lang, target: { kind: 'reply', serviceUrl: here.serviceUrl, conversationId: here.conversationId, activityId: previewActivityId } }, at);
      }
    } catch (e) {
      logger.warn({ err: e, updateId: pending.updateId }, 'could not queue the preview translation');
    }
  }

  /** Handles a card button and returns the card that replaces it; failures become the error's card. */
  private async cardAction(context: TurnContext, data: Record<string, unknown>, later: TurnLater): Promise<CardResponse> {
    const actor = this.actorOf(context);
    const tr = this.deps.i18n.t(actor.lang);
    const ok = (value: AdaptiveCard): CardResponse => ({ statusCode: 200, type: ADAPTIVE_CARD_CONTENT_TYPE, value });
    try {
      const verb = typeof data.verb === 'string' ? data.verb : '';
      const updateId = typeof data.updateId === 'string' ? data.updateId : '';
      const channelId = await resolveChannelId(this.deps.app.db, context.activity.conversation.id);
      const dispatcher = this.dispatcherFor(context, later);
      const base = { actor, channelId, ...this.originFor(context) };
      const key = this.keyOf(context);
      switch (verb) {
        case CARD_VERBS.declare: {
          const result = await dispatcher.handle({ ...base, text: '', command: declareFromForm(data), ...(key ? { idempotencyKey: key } : {}) });
          const [first, ...rest] = result.replies;
          return ok(messageToCard(first?.message ?? { text: tr('teams:declareForm.title') }, rest.map((r) => messageToText(r.message))));
        }
        case CARD_VERBS.publish:
        case CARD_VERBS.cancel:
        case CARD_VERBS.retry: {
          const result = await dispatcher.handleAction({ ...base, actionId: verb, value: updateId, ...(key ? { idempotencyKey: key } : {}) });
          // The card answered now replaces the one pressed (replyToId); the translation edits it later.
          const here = whereOf(context);
          const replyToId = context.activity.replyToId;
          later.tasks.push(() => this.translateLater(here, result, actor.lang, replyToId));
          return ok(await this.previewCard(updateId, actor.lang, notesOf(result)));
        }
        case CARD_VERBS.edit: {
          const result = await dispatcher.handleAction({ ...base, actionId: 'edit_translation', value: updateId });
          if (result.openForm?.kind !== 'edit_translation') return ok(await this.previewCard(updateId, actor.lang, notesOf(result)));
          return ok(await this.translationForm(updateId, actor.lang));
        }
        case CARD_VERBS.saveTranslation: {
          const notes: string[] = [];
          const current = await this.currentTranslations(updateId);
          for (const lang of this.deps.app.settings.locales) {
            const typed = data[`lang_${lang}`];
            if (typeof typed !== 'string' || !typed.trim() || typed.trim() === current.get(lang)?.trim()) continue;
            const result = await dispatcher.handleAction({
              ...base,
              actionId: 'edit_translation',
              value: updateId,
              translation: { lang, body: typed.trim() },
              ...(key ? { idempotencyKey: `${key}:${lang}` } : {}),
            });
            notes.push(...notesOf(result));
          }
          return ok(await this.previewCard(updateId, actor.lang, notes));
        }
        case CARD_VERBS.resolve: {
          // An alert group's resolution proposal: the card's updateId carries the incident's id.
          const result = await dispatcher.handleAction({ ...base, actionId: 'resolve_incident', value: updateId, ...(key ? { idempotencyKey: key } : {}) });
          const [first, ...rest] = result.replies;
          return ok(messageToCard(first?.message ?? { text: tr('errors.incident_not_found', { ref: '' }) }, rest.map((r) => messageToText(r.message))));
        }
        case CARD_VERBS.backToPreview:
          return ok(await this.previewCard(updateId, actor.lang, []));
        default:
          return { statusCode: 400, type: 'application/vnd.microsoft.error', value: { code: 'BadRequest', message: `unknown verb "${verb}"` } };
      }
    } catch (e) {
      return ok(messageToCard(errorMessage(e, this.deps.i18n, actor.lang, this.deps.logger, this.deps.app.settings.teamTimeZone)));
    }
  }

  private async findUpdate(updateId: string) {
    // A card's data is whatever the client sent: a value that is not a uuid names no update (and PostgreSQL would refuse the comparison).
    if (!isUuid(updateId)) return undefined;
    const [row] = await this.deps.app.db.select({ incidentId: t.publicUpdate.incidentId }).from(t.publicUpdate).where(eq(t.publicUpdate.id, updateId));
    if (!row) return undefined;
    const incident = await loadSnapshot(this.deps.app.db, row.incidentId);
    const update = incident?.publicUpdates.find((u) => u.id === updateId);
    return incident && update ? { incident, update } : undefined;
  }

  private async currentTranslations(updateId: string): Promise<Map<string, string>> {
    const found = await this.findUpdate(updateId);
    return new Map((found?.update.translations ?? []).map((tr) => [tr.lang, tr.body]));
  }

  /** The preview as it is now (buttons gone once published or cancelled), with what just happened beneath it. */
  private async previewCard(updateId: string, lang: string, notes: string[]): Promise<AdaptiveCard> {
    const { app, i18n } = this.deps;
    const found = await this.findUpdate(updateId);
    if (!found) {
      const notFound = i18n.t(lang)('errors.update_not_found');
      // The dispatcher has usually said so already: once is enough.
      return messageToCard({ text: notFound }, notes.filter((note) => note !== notFound));
    }
    const rc = teamRenderContext(app, i18n, lang);
    return messageToCard(renderPreview(rc, found.incident, found.update, app.settings.locales, { canRetryTranslation: Boolean(app.translator) }), notes);
  }

  private async translationForm(updateId: string, lang: string): Promise<AdaptiveCard> {
    const { app, i18n } = this.deps;
    const tr = i18n.t(lang);
    const found = await this.findUpdate(updateId);
    if (!found) return messageToCard({ text: tr('errors.update_not_found') });
    const { incident, update } = found;
    const current = app.settings.locales.map((l) => ({ lang: l, body: update.translations.some((x) => x.lang === l) ? bodyIn(update, l) : '' }));
    return translationFormCard(tr, updateId, tr('teams:translationForm.title', { ref: `INC-${incident.number}` }), current);
  }

  private async rememberIncidentsChannel(context: TurnContext): Promise<void> {
    const { incidentsChannel, app, logger } = this.deps;
    const conversation = context.activity.conversation;
    if (!incidentsChannel || !conversation) return;
    const channelData = context.activity.channelData as { channel?: { id?: string }; team?: { id?: string } } | undefined;
    const here = channelData?.channel?.id ?? channelOf(conversation.id);
    if (here !== incidentsChannel) return;
    try {
      const parts = originOf(context);
      if (!parts) return;
      // The reference targets the channel itself, so each announcement starts its own thread.
      await rememberIncidentsChannel(app.db, { id: app.newId(), parts: { ...parts, channelId: incidentsChannel, conversationId: incidentsChannel }, at: app.clock.now() });
    } catch (e) {
      logger.warn({ err: e }, 'could not remember the incidents channel');
    }
  }
}

/** The conversation a turn answers in, kept for work after the turn (its context is done by then). */
function whereOf(context: TurnContext): { serviceUrl: string; conversationId: string } {
  return { serviceUrl: context.activity.serviceUrl, conversationId: context.activity.conversation.id };
}

/** The result lines of a button press (not the re-rendered preview, which the card itself shows). */
function notesOf(result: DispatchResult): string[] {
  return result.replies.filter((r) => r.message.actions === undefined).map((r: { message: NeutralMessage }) => messageToText(r.message));
}
