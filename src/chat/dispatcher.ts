import { eq } from 'drizzle-orm';
import { type CommandMeta, loadForActor } from '../app/command-runner.ts';
import type { AppContext } from '../app/context.ts';
import { cancelUpdate, editTranslation, publishUpdate } from '../app/review-public-update.ts';
import { translatePublicUpdate } from '../app/translate-public-update.ts';
import type { Command, MentionRef } from '../core/command.ts';
import { parseCommand } from '../core/command-parser.ts';
import { DomainError } from '../core/errors.ts';
import { type Actor, formatIncidentRef, isUuid, storable } from '../core/model.ts';
import { findIncidentChatRef, findIncidentIdByChannel, findIncidentIdByNumber, loadPublicUpdate, loadSnapshot } from '../db/incident-repository.ts';
import * as t from '../db/schema.ts';
import type { I18n } from '../i18n.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';
import { chatCommandFor } from './commands/index.ts';
import { text } from './commands/reply.ts';
import type { CommandContext, CommandReply } from './commands/types.ts';
import { isDatabaseUnavailable } from '../db/errors.ts';
import { errorMessage, RetryLaterError } from './errors.ts';
import { ensureIncidentChannel, teamRenderContext, upsertIncidentHeader } from './incident-channel.ts';
import type { DispatchResult, NeutralMessage, Reply } from './message.ts';
import type { ChatFile, ChatPlatform } from './platform.ts';
import { type RenderContext, renderPreview } from './render.ts';
import type { PostmortemLinks } from './postmortem-link.ts';
import type { TimelineLinks } from './timeline-link.ts';

/** A command as any front end receives it. */
export interface IncomingCommand {
  text: string;
  actor: Actor;
  /** The channel (or conversation) it was said in. */
  channelId: string;
  /** The platform's retry key (Slack trigger_id, Teams activity id, …). */
  idempotencyKey?: string;
  /** People the front end decoded from its mention markup (Slack `<@U…>`, Teams `<at>`), for `assign` and `action`. */
  mentions?: MentionRef[];
  /** Already parsed (a platform form's submission, e.g. Slack's declare modal): `text` is then not parsed. */
  command?: Command;
  /** Where it was said, as the platform opens a declared incident's place there (see CommandMeta). */
  origin?: CommandMeta['origin'];
}

/** A button press on a message the bot posted. */
export interface IncomingAction {
  actionId: 'publish_update' | 'edit_translation' | 'cancel_update' | 'retry_translation' | 'resolve_incident';
  /** The public update's id; for resolve_incident, the incident's. */
  value: string;
  actor: Actor;
  channelId: string;
  idempotencyKey?: string;
  /** For edit_translation: the language and text typed. */
  translation?: { lang: string; body: string };
}

export interface DispatchOptions {
  /** The request is stored and will be run again: throw RetryLaterError instead of answering "not recorded". */
  retryUnavailable?: boolean;
}

export interface DispatcherDeps {
  app: AppContext;
  i18n: I18n;
  platform: ChatPlatform;
  logger: Logger;
  metrics?: Metrics;
  /** Signs links to an incident's full timeline, for a `timeline` reply a platform has to cut. */
  timelineLinks?: TimelineLinks | undefined;
  /** Signs links to an incident's rendered postmortem, for `close` and `postmortem`. */
  postmortemLinks?: PostmortemLinks | undefined;
  /**
   * A preview's machine translation is not awaited here: the result says which update is
   * pending (`translationPending`) and the front end translates after answering (Teams' turn).
   */
  deferTranslation?: boolean;
  /**
   * The live header is re-rendered here after each write (the console: its channels live in
   * this session, where no server's worker reaches). Elsewhere every write owes the incident
   * an `incident.changed` job, committed with it, and the chat parts' worker renders the
   * headers on every platform (header-refresh.ts).
   */
  inlineHeader?: boolean;
}

/** What a write showed: the replies, and the preview whose translation is still to come (`deferTranslation`). */
interface Shown {
  replies: Reply[];
  translationPending?: DispatchResult['translationPending'];
}

/**
 * Incident number ↔ id, per database, as read from committed rows: an incident's number never
 * changes and incidents are never deleted, so what was read once holds for the process and
 * needs no invalidation. Saves a lookup on every `INC-n` command and after every write.
 */
const knownIncidents = new WeakMap<object, { idOf: Map<number, string>; numberOf: Map<string, number> }>();
const MAX_KNOWN_INCIDENTS = 10_000;

function knownIn(db: AppContext['db']) {
  let known = knownIncidents.get(db);
  if (!known) knownIncidents.set(db, (known = { idOf: new Map(), numberOf: new Map() }));
  return known;
}

function remember(db: AppContext['db'], number: number, id: string): void {
  const known = knownIn(db);
  if (known.idOf.size >= MAX_KNOWN_INCIDENTS) {
    known.idOf.clear();
    known.numberOf.clear();
  }
  known.idOf.set(number, id);
  known.numberOf.set(id, number);
}

/** The incident's number, all a preview shows of it. */
async function loadIncidentNumber(db: AppContext['db'], incidentId: string): Promise<{ number: number } | undefined> {
  const known = knownIn(db).numberOf.get(incidentId);
  if (known !== undefined) return { number: known };
  const [row] = await db.select({ number: t.incident.number }).from(t.incident).where(eq(t.incident.id, incidentId));
  if (row) remember(db, row.number, incidentId);
  return row;
}

/** The id of incident number `number`; see {@link knownIncidents}. */
async function incidentIdByNumber(db: AppContext['db'], number: number): Promise<string | undefined> {
  const known = knownIn(db).idOf.get(number);
  if (known !== undefined) return known;
  const id = await findIncidentIdByNumber(db, number);
  if (id) remember(db, number, id);
  return id;
}

/**
 * Text in → use case → neutral replies, the same for Slack, Teams and the console. After a
 * write it keeps the incident's channel current: opens it on declare, re-renders the live
 * header, posts the result there when the command came from elsewhere.
 */
export class Dispatcher {
  constructor(private readonly deps: DispatcherDeps) {}

  private renderContext(lang: string): RenderContext {
    return teamRenderContext(this.deps.app, this.deps.i18n, lang);
  }

  /**
   * Handles one command; every failure becomes a localized reply — except, with
   * `retryUnavailable`, the database being away, thrown as {@link RetryLaterError} for a
   * caller that stored the request and will run it again.
   */
  async handle(received: IncomingCommand, options: DispatchOptions = {}): Promise<DispatchResult> {
    // Platforms deliver strings PostgreSQL cannot store (NUL, lone surrogates): made storable, not refused.
    const input = storable(received);
    const started = performance.now();
    let verb = 'unknown';
    try {
      const parsed = input.command
        ? { command: input.command, incidentNumber: undefined }
        : parseCommand(input.text, { now: this.deps.app.clock.now(), timeZone: this.zoneOf(input.actor), ...(input.mentions ? { mentions: input.mentions } : {}) });
      verb = parsed.command.verb;
      const result = await this.execute(parsed.command, parsed.incidentNumber, input);
      this.deps.metrics?.commandsTotal.inc({ verb, platform: this.deps.platform.platform, outcome: 'ok' });
      return result;
    } catch (e) {
      this.deps.metrics?.commandsTotal.inc({ verb, platform: this.deps.platform.platform, outcome: 'error' });
      if (options.retryUnavailable && isDatabaseUnavailable(e)) throw new RetryLaterError(e);
      return { replies: [{ visibility: 'ephemeral', message: errorMessage(e, this.deps.i18n, input.actor.lang, this.deps.logger, this.zoneOf(input.actor)) }] };
    } finally {
      this.deps.metrics?.commandDuration.observe({ verb }, (performance.now() - started) / 1000);
    }
  }

  /** Times a person types are read in their own zone (Slack profile, Teams client, console --tz), else the team's. */
  private zoneOf(actor: Actor): string {
    return actor.timeZone ?? this.deps.app.settings.teamTimeZone;
  }

  private async resolveIncident(incidentNumber: number | undefined, input: IncomingCommand, verb: string) {
    const { db } = this.deps.app;
    // Side by side: neither waits for the other.
    const [channelIncidentId, numbered] = await Promise.all([
      findIncidentIdByChannel(db, this.deps.platform.platform, input.channelId),
      incidentNumber === undefined ? undefined : incidentIdByNumber(db, incidentNumber),
    ]);
    let incidentId = channelIncidentId;
    if (incidentNumber !== undefined) {
      incidentId = numbered;
      if (!incidentId) throw new DomainError('incident_not_found', { ref: formatIncidentRef(incidentNumber) });
    }
    if (!incidentId) throw new DomainError('incident_required', {}, verb);
    return { incidentId, inIncidentChannel: incidentId === channelIncidentId };
  }

  /** Runs the verb's definition (see commands/): a global verb answers at once, an incident verb on the incident it resolves. */
  private async execute(command: Command, incidentNumber: number | undefined, input: IncomingCommand): Promise<DispatchResult> {
    const { app, i18n } = this.deps;
    const lang = input.actor.lang;
    const tr = i18n.t(lang);
    const ctx: CommandContext = {
      app,
      i18n,
      lang,
      tr,
      rc: this.renderContext(lang),
      meta: {
        actor: input.actor,
        ...(input.idempotencyKey ? { idempotencyKey: input.idempotencyKey } : {}),
        ...(input.origin ? { origin: input.origin } : {}),
      },
      timelineLinks: this.deps.timelineLinks,
      postmortemLinks: this.deps.postmortemLinks,
      ensureIncidentChannel: (incidentId) => this.ensureIncidentChannel(incidentId, input.actor),
    };
    // A retry answered from the stored receipt says the first result again, and that it is a retry.
    const answer = ({ message, replayed }: CommandReply): NeutralMessage =>
      replayed ? { ...message, lines: [...(message.lines ?? [message.text]), tr('reply.retried')] } : message;

    const definition = chatCommandFor(command.verb);
    if (definition.scope === 'global') {
      const reply = await definition.run(ctx, command);
      return {
        replies: [{ visibility: reply.visibility ?? 'ephemeral', message: answer(reply) }],
        ...(reply.openForm ? { openForm: reply.openForm } : {}),
        ...(reply.incidentId ? { incidentId: reply.incidentId } : {}),
        ...(reply.declared ? { declared: reply.declared } : {}),
      };
    }
    const { incidentId, inIncidentChannel } = await this.resolveIncident(incidentNumber, input, command.verb);
    const reply = await definition.run({ ...ctx, meta: { ...ctx.meta, inIncidentChannel } }, command, incidentId);
    if (!definition.writes) return { replies: [{ visibility: 'ephemeral', message: reply.message }] };
    const { replies, translationPending } = await this.afterWrite(incidentId, inIncidentChannel, answer(reply), lang, reply.previewUpdateId, input.idempotencyKey);
    // A retry answered from the receipt shared them the first time.
    if (reply.files?.length && !reply.replayed) await this.shareFiles(incidentId, input.channelId, reply.files);
    return { replies, incidentId, ...(translationPending ? { translationPending } : {}) };
  }

  /** Handles a button press on a preview: publish, cancel, or save a typed translation. */
  async handleAction(received: IncomingAction, options: DispatchOptions = {}): Promise<DispatchResult> {
    const input = storable(received);
    const { app, i18n } = this.deps;
    const lang = input.actor.lang;
    const tr = i18n.t(lang);
    try {
      // Resolve (an alert group's resolution proposal): the presser runs `status resolved`, with their own rights.
      if (input.actionId === 'resolve_incident') {
        const [incident] = isUuid(input.value) ? await app.db.select({ number: t.incident.number }).from(t.incident).where(eq(t.incident.id, input.value)) : [];
        if (!incident) throw new DomainError('incident_not_found', { ref: input.value });
        const { actor, channelId, idempotencyKey } = input;
        return await this.handle({ text: `${formatIncidentRef(incident.number)} status resolved`, actor, channelId, ...(idempotencyKey ? { idempotencyKey } : {}) }, options);
      }
      const channelIncidentId = await findIncidentIdByChannel(app.db, this.deps.platform.platform, input.channelId);
      // A button value that is not a uuid names no update (and PostgreSQL would reject the query).
      const [update] = isUuid(input.value)
        ? await app.db.select({ incidentId: t.publicUpdate.incidentId }).from(t.publicUpdate).where(eq(t.publicUpdate.id, input.value))
        : [];
      if (!update) throw new DomainError('update_not_found', {});
      const meta: CommandMeta = {
        actor: input.actor,
        inIncidentChannel: channelIncidentId === update.incidentId,
        ...(input.idempotencyKey ? { idempotencyKey: input.idempotencyKey } : {}),
      };
      if (input.actionId === 'edit_translation' && !input.translation) {
        return { replies: [], openForm: { kind: 'edit_translation', updateId: input.value } };
      }
      let message: NeutralMessage;
      let unchanged = false;
      if (input.actionId === 'edit_translation') {
        await editTranslation(app, meta, input.value, input.translation!);
        message = text(tr('reply.translationSaved', { lang: input.translation!.lang }));
      } else if (input.actionId === 'retry_translation') {
        // The translation itself runs in afterWrite below, as after every change to a preview.
        await loadForActor(app.db, update.incidentId, meta, { write: false, requireResponder: true });
        message = text(tr('reply.translationRetried'));
      } else {
        const review = input.actionId === 'publish_update' ? publishUpdate : cancelUpdate;
        const { outcome } = await review(app, meta, input.value);
        unchanged = outcome.unchanged;
        message = outcome.unchanged
          ? text(tr('reply.updateAlready', { state: tr(`reply.state.${outcome.state}`) }))
          : text(tr(outcome.state === 'published' ? 'reply.updatePublishedNow' : 'reply.updateCancelled'));
      }
      const { replies, translationPending } = await this.afterWrite(update.incidentId, meta.inIncidentChannel ?? false, message, lang, input.value, input.idempotencyKey);
      // A second press (a double click) changed nothing: only the presser needs to hear it.
      if (unchanged) for (const reply of replies) if (reply.message === message) reply.visibility = 'ephemeral';
      return { replies, incidentId: update.incidentId, ...(translationPending ? { translationPending } : {}) };
    } catch (e) {
      if (options.retryUnavailable && isDatabaseUnavailable(e)) throw new RetryLaterError(e);
      return { replies: [{ visibility: 'ephemeral', message: errorMessage(e, i18n, lang, this.deps.logger, this.zoneOf(input.actor)) }] };
    }
  }

  /**
   * Shows the result where the incident lives (and, with `inlineHeader`, its header). The write has
   * already committed, so a failure here — chat, or the database going away right after the
   * commit — is logged, never reported as "not recorded": the user still hears the result.
   */
  private async afterWrite(incidentId: string, inIncidentChannel: boolean, message: NeutralMessage, lang: string, previewUpdateId?: string, requestKey?: string): Promise<Shown> {
    let shown: Shown;
    try {
      shown = await this.showResult(incidentId, inIncidentChannel, message, lang, previewUpdateId, requestKey);
    } catch (e) {
      this.deps.logger.warn({ err: e, incidentId }, 'recorded, but could not show the result in the incident channel');
      shown = { replies: [{ visibility: inIncidentChannel ? 'channel' : 'ephemeral', message }] };
    }
    return shown;
  }

  /** What {@link afterWrite} does when nothing fails. */
  private async showResult(incidentId: string, inIncidentChannel: boolean, message: NeutralMessage, lang: string, previewUpdateId?: string, requestKey?: string): Promise<Shown> {
    const replies: Reply[] = [];
    const { app, platform, logger } = this.deps;
    const deferred = Boolean(previewUpdateId && app.translator && this.deps.deferTranslation);
    // After commit, bounded by the translator's timeout: a language that fails stays missing
    // in the preview (typed by a person, or retried on the next re-render), never blocking it.
    if (previewUpdateId && app.translator && !deferred) {
      try {
        const filled = await translatePublicUpdate(app, previewUpdateId);
        if (Object.keys(filled.failures).length) logger.warn({ updateId: previewUpdateId, failures: filled.failures }, 'machine translation missing');
      } catch (e) {
        logger.warn({ err: e, updateId: previewUpdateId }, 'could not fill machine translations');
      }
    }
    // The whole incident only for a header rendered here; elsewhere the preview needs its update alone.
    // Without its timeline: neither the header nor the preview shows it, and it grows with every note.
    // The incident and where it lives, read side by side.
    const [snapshot, number, chatRef] = await Promise.all([
      this.deps.inlineHeader ? loadSnapshot(app.db, incidentId, { entries: false }) : undefined,
      this.deps.inlineHeader ? undefined : loadIncidentNumber(app.db, incidentId),
      findIncidentChatRef(app.db, incidentId, platform.platform),
    ]);
    const incident = snapshot ?? number;
    if (!incident) return { replies: [{ visibility: 'ephemeral', message }] };
    const preview = !previewUpdateId ? undefined : snapshot ? snapshot.publicUpdates.find((u) => u.id === previewUpdateId) : await loadPublicUpdate(app.db, incidentId, previewUpdateId);
    const previewMessage = preview ? renderPreview(this.renderContext(lang), incident, preview, app.settings.locales, { canRetryTranslation: Boolean(app.translator) }) : undefined;
    const pending = deferred && preview && !app.settings.locales.every((l) => preview.translations.some((tr) => tr.lang === l)) ? preview.id : undefined;
    let postedAs: { channelId: string; messageId: string } | undefined;
    if (inIncidentChannel || !chatRef) {
      replies.push({ visibility: inIncidentChannel ? 'channel' : 'ephemeral', message });
      if (previewMessage) replies.push({ visibility: inIncidentChannel ? 'channel' : 'ephemeral', message: previewMessage });
    } else {
      replies.push({ visibility: 'ephemeral', message });
      try {
        // Keyed by the request: processed again after a crash, it does not post these twice.
        await platform.post(chatRef.channelId, message, { key: requestKey && `${requestKey}:result` });
        if (previewMessage) {
          const messageId = await platform.post(chatRef.channelId, previewMessage, { key: requestKey && `${requestKey}:preview` });
          if (messageId) postedAs = { channelId: chatRef.channelId, messageId };
        }
      } catch (e) {
        logger.warn({ err: e, incidentId }, 'could not post the result in the incident channel');
      }
    }
    if (chatRef && snapshot) await upsertIncidentHeader(this.deps, chatRef, snapshot);
    return { replies, ...(pending ? { translationPending: { updateId: pending, ...(postedAs ? { postedAs } : {}) } } : {}) };
  }

  /**
   * Shares a write's files (the postmortem drafts) in the incident's channel, else where the
   * command was said, on a platform that shares files; a failure is logged, the write stands.
   */
  private async shareFiles(incidentId: string, saidIn: string, files: ChatFile[]): Promise<void> {
    const { app, platform, logger } = this.deps;
    if (!platform.uploadFile) return;
    try {
      const chatRef = await findIncidentChatRef(app.db, incidentId, platform.platform);
      for (const file of files) await platform.uploadFile(chatRef?.channelId ?? saidIn, file);
    } catch (e) {
      logger.warn({ err: e, incidentId }, 'could not share the files of a command');
    }
  }

  /** Opens the incident's channel (see {@link ensureIncidentChannel}), inviting the declarer. */
  private ensureIncidentChannel(incidentId: string, actor: Actor): Promise<{ channelId: string; name: string } | null> {
    return ensureIncidentChannel(this.deps, incidentId, actor, [actor.id]);
  }
}
