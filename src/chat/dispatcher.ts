import { eq } from 'drizzle-orm';
import { addAction } from '../app/add-action.ts';
import { addCause } from '../app/add-cause.ts';
import { addNote } from '../app/add-note.ts';
import { assignRole } from '../app/assign-role.ts';
import { changeSeverity } from '../app/change-severity.ts';
import { changeStatus } from '../app/change-status.ts';
import { closeIncident } from '../app/close-incident.ts';
import { type CommandMeta, loadForActor } from '../app/command-runner.ts';
import type { AppContext } from '../app/context.ts';
import { declareIncident } from '../app/declare-incident.ts';
import { draftPublicUpdate } from '../app/draft-public-update.ts';
import { followUpstream } from '../app/follow-upstream.ts';
import { generatePostmortem } from '../app/generate-postmortem.ts';
import { getIncident, listOpenIncidents } from '../app/read-incidents.ts';
import { cancelUpdate, editTranslation, publishUpdate } from '../app/review-public-update.ts';
import { setComponents } from '../app/set-components.ts';
import { setKeyMoment } from '../app/set-key-moment.ts';
import { setReminder } from '../app/set-reminder.ts';
import { snoozeReminders } from '../manager/snooze.ts';
import { translatePublicUpdate } from '../app/translate-public-update.ts';
import { type Command, INCIDENT_VERBS } from '../core/command.ts';
import { parseCommand } from '../core/command-parser.ts';
import { formatEntryLine } from '../core/describe-entry.ts';
import { DomainError } from '../core/errors.ts';
import { type Actor, formatIncidentRef, isUuid, storable } from '../core/model.ts';
import { compareEntries } from '../core/timeline.ts';
import { findIncidentChatRef, findIncidentIdByChannel, findIncidentIdByNumber, loadSnapshot } from '../db/incident-repository.ts';
import * as t from '../db/schema.ts';
import type { I18n } from '../i18n.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';
import { errorMessage } from './errors.ts';
import { ensureIncidentChannel, teamRenderContext, upsertIncidentHeader } from './incident-channel.ts';
import type { NeutralMessage, Reply } from './message.ts';
import type { ChatPlatform } from './platform.ts';
import { type RenderContext, renderHelp, renderList, renderPreview, renderSummary } from './render.ts';
import type { TimelineLinks } from './timeline-link.ts';

/** A command as any front end receives it. */
export interface IncomingCommand {
  text: string;
  actor: Actor;
  /** The channel (or conversation) it was said in. */
  channelId: string;
  /** The platform's retry key (Slack trigger_id, Teams activity id, …). */
  idempotencyKey?: string;
  /** Already parsed (a platform form's submission, e.g. Slack's declare modal): `text` is then not parsed. */
  command?: Command;
  /** The platform's messages about a write, queued in the write's own transaction (see CommandMeta). */
  enqueue?: CommandMeta['enqueue'];
}

/** A button press on a message the bot posted. */
export interface IncomingAction {
  actionId: 'publish_update' | 'edit_translation' | 'cancel_update' | 'retry_translation';
  value: string;
  actor: Actor;
  channelId: string;
  idempotencyKey?: string;
  /** For edit_translation: the language and text typed. */
  translation?: { lang: string; body: string };
  enqueue?: CommandMeta['enqueue'];
}

export interface DispatchResult {
  replies: Reply[];
  /** The platform should open this form instead of (or besides) replying. */
  openForm?: { kind: 'declare' } | { kind: 'edit_translation'; updateId: string };
  incidentId?: string;
  /** Set when this command declared the incident (a front end may follow into its channel). */
  declared?: { channelId: string };
}

export interface DispatcherDeps {
  app: AppContext;
  i18n: I18n;
  platform: ChatPlatform;
  logger: Logger;
  metrics?: Metrics;
  /** Signs links to an incident's full timeline, for a `timeline` reply a platform has to cut. */
  timelineLinks?: TimelineLinks | undefined;
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

  /** Handles one command; never throws: every failure becomes a localized reply. */
  async handle(received: IncomingCommand): Promise<DispatchResult> {
    // Platforms deliver strings PostgreSQL cannot store (NUL, lone surrogates): made storable, not refused.
    const input = storable(received);
    const started = performance.now();
    let verb = 'unknown';
    try {
      const parsed = input.command
        ? { command: input.command, incidentNumber: undefined }
        : parseCommand(input.text, { now: this.deps.app.clock.now(), timeZone: this.deps.app.settings.teamTimeZone });
      verb = parsed.command.verb;
      const result = await this.execute(parsed.command, parsed.incidentNumber, input);
      this.deps.metrics?.commandsTotal.inc({ verb, platform: this.deps.platform.platform, outcome: 'ok' });
      return result;
    } catch (e) {
      this.deps.metrics?.commandsTotal.inc({ verb, platform: this.deps.platform.platform, outcome: 'error' });
      return { replies: [{ visibility: 'ephemeral', message: errorMessage(e, this.deps.i18n, input.actor.lang, this.deps.logger, this.deps.app.settings.teamTimeZone) }] };
    } finally {
      this.deps.metrics?.commandDuration.observe({ verb }, (performance.now() - started) / 1000);
    }
  }

  private async resolveIncident(incidentNumber: number | undefined, input: IncomingCommand, verb: string) {
    const { db } = this.deps.app;
    const channelIncidentId = await findIncidentIdByChannel(db, this.deps.platform.platform, input.channelId);
    let incidentId = channelIncidentId;
    if (incidentNumber !== undefined) {
      incidentId = await findIncidentIdByNumber(db, incidentNumber);
      if (!incidentId) throw new DomainError('incident_not_found', { ref: formatIncidentRef(incidentNumber) });
    }
    if (!incidentId) throw new DomainError('incident_required', {}, verb);
    return { incidentId, inIncidentChannel: incidentId === channelIncidentId };
  }

  private async execute(command: Command, incidentNumber: number | undefined, input: IncomingCommand): Promise<DispatchResult> {
    const { app, i18n } = this.deps;
    const lang = input.actor.lang;
    const tr = i18n.t(lang);
    const rc = this.renderContext(lang);
    const baseMeta: CommandMeta = {
      actor: input.actor,
      ...(input.idempotencyKey ? { idempotencyKey: input.idempotencyKey } : {}),
      ...(input.enqueue ? { enqueue: input.enqueue } : {}),
    };
    const only = (message: NeutralMessage): DispatchResult => ({ replies: [{ visibility: 'ephemeral', message }] });

    switch (command.verb) {
      case 'help':
        return only(renderHelp(rc, command.topic));
      case 'list':
        return only(renderList(rc, await listOpenIncidents(app, baseMeta)));
      case 'follow': {
        const { outcome } = await followUpstream(app, baseMeta, { url: command.url });
        const key = outcome.alreadyFollowing ? 'reply.alreadyFollowing' : 'reply.following';
        return only(text(tr(key, { url: outcome.url, incidentsUrl: outcome.incidentsUrl })));
      }
      case 'declare': {
        if (command.form) return { replies: [{ visibility: 'ephemeral', message: text(tr('reply.declareForm')) }], openForm: { kind: 'declare' } };
        const { outcome, replayed } = await declareIncident(app, baseMeta, {
          title: command.title,
          components: command.components,
          visibility: command.visibility,
          ...(command.severity ? { severity: command.severity } : {}),
          ...(command.started ? { started: command.started } : {}),
          ...(command.summary ? { summary: command.summary } : {}),
        });
        // Declared and committed: a channel that could not be opened is said so, never as
        // "not recorded", or the user declares again and gets a second incident.
        const channel = await this.ensureIncidentChannel(outcome.incidentId, input.actor);
        const ref = formatIncidentRef(outcome.number);
        const lines = [tr('reply.declared', { ref, title: outcome.title })];
        if (channel) lines.push(tr('reply.declaredChannel', { channel: channel.name }));
        if (channel === null) lines.push(tr('reply.declaredNoChannel', { ref }));
        if (replayed) lines.push(tr('reply.retried'));
        return {
          replies: [{ visibility: 'channel', message: { text: lines[0]!, lines } }],
          incidentId: outcome.incidentId,
          ...(channel ? { declared: { channelId: channel.channelId } } : {}),
        };
      }
      default:
        break;
    }

    if (!INCIDENT_VERBS.includes(command.verb)) throw new Error(`unhandled verb ${command.verb}`);
    const { incidentId, inIncidentChannel } = await this.resolveIncident(incidentNumber, input, command.verb);
    const meta: CommandMeta = { ...baseMeta, inIncidentChannel };

    if (command.verb === 'summary') return only(renderSummary(rc, await getIncident(app, meta, incidentId)));
    if (command.verb === 'timeline') {
      const incident = await getIncident(app, meta, incidentId);
      const entries = [...incident.entries].sort(compareEntries);
      const title = tr('timeline.title', { ref: formatIncidentRef(incident.number), count: entries.length, zone: rc.zone });
      const lines = entries.length ? entries.map((e) => formatEntryLine(e, lang, rc.zone, i18n)) : [tr('timeline.empty')];
      const fullTimelineUrl = this.deps.timelineLinks?.url(incident, lang);
      return only({ text: title, title, lines, ...(fullTimelineUrl ? { fullTimelineUrl } : {}) });
    }

    const when = (iso: string) => i18n.formatDateTime(new Date(iso), lang, rc.zone);
    const ref = (n: number) => formatIncidentRef(n);
    let message: NeutralMessage;
    let previewUpdateId: string | undefined;
    let replayed = false;
    switch (command.verb) {
      case 'update': {
        const r = await addNote(app, meta, incidentId, { text: command.text, ...(command.at ? { at: command.at } : {}) });
        replayed = r.replayed;
        const o = r.outcome;
        message = text(tr(o.backdated ? 'reply.noteBackdated' : 'reply.noteAdded', { ref: ref(o.number), time: when(o.occurredAt) }));
        break;
      }
      case 'status': {
        const r = await changeStatus(app, meta, incidentId, {
          status: command.status,
          ...(command.at ? { at: command.at } : {}),
          ...(command.publicText ? { publicText: command.publicText } : {}),
        });
        replayed = r.replayed;
        const o = r.outcome;
        const names = { from: tr(`common:status.${o.from}`), to: tr(`common:status.${o.to}`), status: tr(`common:status.${o.status}`) };
        message = text(tr(o.status === o.to ? 'reply.statusChanged' : 'reply.statusOvertaken', { ref: ref(o.number), time: when(o.occurredAt), ...names }));
        previewUpdateId = o.update?.updateId;
        break;
      }
      case 'publish': {
        const r = await draftPublicUpdate(app, meta, incidentId, { text: command.text });
        replayed = r.replayed;
        const status = tr(`common:status.${r.outcome.status}`);
        message = text(tr(r.outcome.state === 'published' ? 'reply.updatePublished' : 'reply.updateDraft', { status }));
        previewUpdateId = r.outcome.updateId;
        break;
      }
      case 'severity': {
        const r = await changeSeverity(app, meta, incidentId, { severity: command.severity });
        replayed = r.replayed;
        message = text(tr('reply.severityChanged', { ref: ref(r.outcome.number), from: r.outcome.from, to: r.outcome.to }));
        break;
      }
      case 'components': {
        const r = await setComponents(app, meta, incidentId, { components: command.components, ...(command.impact ? { impact: command.impact } : {}) });
        replayed = r.replayed;
        const list = r.outcome.components.map((c) => `${c.names[lang] ?? c.name} (${tr(`common:impact.${c.impact}`)})`);
        message = text(tr('reply.componentsSet', { ref: ref(r.outcome.number), components: i18n.formatList(list, lang) }));
        break;
      }
      case 'assign': {
        const r = await assignRole(app, meta, incidentId, { role: command.role, user: command.user });
        replayed = r.replayed;
        const role = tr(`common:role.${r.outcome.role}`, { defaultValue: r.outcome.role });
        message = text(tr('reply.roleAssigned', { ref: ref(r.outcome.number), role, user: r.outcome.userName }));
        break;
      }
      case 'started':
      case 'detected':
      case 'mitigated': {
        const r = await setKeyMoment(app, meta, incidentId, { moment: command.verb, at: command.at });
        replayed = r.replayed;
        message = text(tr('reply.momentSet', { ref: ref(r.outcome.number), moment: tr(`common:moment.${r.outcome.moment}`), time: when(r.outcome.at) }));
        break;
      }
      case 'cause': {
        const r = await addCause(app, meta, incidentId, { text: command.text });
        replayed = r.replayed;
        message = text(tr('reply.causeAdded', { ref: ref(r.outcome.number) }));
        break;
      }
      case 'action': {
        const r = await addAction(app, meta, incidentId, { text: command.text, ...(command.owner ? { owner: command.owner } : {}) });
        replayed = r.replayed;
        const o = r.outcome;
        message = text(o.ownerName ? tr('reply.actionAddedOwner', { ref: ref(o.number), owner: o.ownerName }) : tr('reply.actionAdded', { ref: ref(o.number) }));
        break;
      }
      case 'remind': {
        const r = await setReminder(app, meta, incidentId, { minutes: command.minutes });
        replayed = r.replayed;
        message = text(tr('reply.reminderSet', { ref: ref(r.outcome.number), minutes: r.outcome.minutes }));
        break;
      }
      case 'snooze': {
        const r = await snoozeReminders(app, meta, incidentId, { minutes: command.minutes });
        replayed = r.replayed;
        message = text(tr('manager:snooze.done', { ref: ref(r.outcome.number), time: when(r.outcome.until) }));
        break;
      }
      case 'close': {
        const r = await closeIncident(app, meta, incidentId, command.finalText ? { finalText: command.finalText } : {});
        replayed = r.replayed;
        const o = r.outcome;
        message = text(tr(o.resolvedNow ? 'reply.closedResolved' : 'reply.closed', { ref: ref(o.number), langs: o.postmortemLangs.join(', ') }));
        previewUpdateId = o.update?.updateId;
        break;
      }
      case 'postmortem': {
        const r = await generatePostmortem(app, meta, incidentId);
        replayed = r.replayed;
        message = text(tr('reply.postmortem', { ref: ref(r.outcome.number), langs: r.outcome.langs.join(', ') }));
        break;
      }
      default:
        throw new Error(`unhandled verb ${(command as Command).verb}`);
    }
    if (replayed) message = { ...message, lines: [...(message.lines ?? [message.text]), tr('reply.retried')] };
    const replies = await this.afterWrite(incidentId, inIncidentChannel, message, lang, previewUpdateId);
    return { replies, incidentId };
  }

  /** Handles a button press on a preview: publish, cancel, or save a typed translation. */
  async handleAction(received: IncomingAction): Promise<DispatchResult> {
    const input = storable(received);
    const { app, i18n } = this.deps;
    const lang = input.actor.lang;
    const tr = i18n.t(lang);
    try {
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
        ...(input.enqueue ? { enqueue: input.enqueue } : {}),
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
      const replies = await this.afterWrite(update.incidentId, meta.inIncidentChannel ?? false, message, lang, input.value);
      // A second press (a double click) changed nothing: only the presser needs to hear it.
      if (unchanged) for (const reply of replies) if (reply.message === message) reply.visibility = 'ephemeral';
      return { replies, incidentId: update.incidentId };
    } catch (e) {
      return { replies: [{ visibility: 'ephemeral', message: errorMessage(e, i18n, lang, this.deps.logger, app.settings.teamTimeZone) }] };
    }
  }

  /**
   * Shows the result where the incident lives and refreshes its header. The write has
   * already committed, so a failure here — chat, or the database going away right after the
   * commit — is logged, never reported as "not recorded": the user still hears the result.
   */
  private async afterWrite(incidentId: string, inIncidentChannel: boolean, message: NeutralMessage, lang: string, previewUpdateId?: string): Promise<Reply[]> {
    try {
      return await this.showResult(incidentId, inIncidentChannel, message, lang, previewUpdateId);
    } catch (e) {
      this.deps.logger.warn({ err: e, incidentId }, 'recorded, but could not show the result in the incident channel');
      return [{ visibility: inIncidentChannel ? 'channel' : 'ephemeral', message }];
    }
  }

  /** What {@link afterWrite} does when nothing fails. */
  private async showResult(incidentId: string, inIncidentChannel: boolean, message: NeutralMessage, lang: string, previewUpdateId?: string): Promise<Reply[]> {
    const replies: Reply[] = [];
    const { app, platform, logger } = this.deps;
    // After commit, bounded by the translator's timeout: a language that fails stays missing
    // in the preview (typed by a person, or retried on the next re-render), never blocking it.
    if (previewUpdateId && app.translator) {
      try {
        const filled = await translatePublicUpdate(app, previewUpdateId);
        if (Object.keys(filled.failures).length) logger.warn({ updateId: previewUpdateId, failures: filled.failures }, 'machine translation missing');
      } catch (e) {
        logger.warn({ err: e, updateId: previewUpdateId }, 'could not fill machine translations');
      }
    }
    const incident = await loadSnapshot(app.db, incidentId);
    if (!incident) return [{ visibility: 'ephemeral', message }];
    const preview = previewUpdateId ? incident.publicUpdates.find((u) => u.id === previewUpdateId) : undefined;
    const previewMessage = preview ? renderPreview(this.renderContext(lang), incident, preview, app.settings.locales, { canRetryTranslation: Boolean(app.translator) }) : undefined;
    const chatRef = await findIncidentChatRef(app.db, incidentId, platform.platform);
    if (inIncidentChannel || !chatRef) {
      replies.push({ visibility: inIncidentChannel ? 'channel' : 'ephemeral', message });
      if (previewMessage) replies.push({ visibility: inIncidentChannel ? 'channel' : 'ephemeral', message: previewMessage });
    } else {
      replies.push({ visibility: 'ephemeral', message });
      try {
        await platform.post(chatRef.channelId, message);
        if (previewMessage) await platform.post(chatRef.channelId, previewMessage);
      } catch (e) {
        logger.warn({ err: e, incidentId }, 'could not post the result in the incident channel');
      }
    }
    if (chatRef) await upsertIncidentHeader(this.deps, chatRef, incident);
    return replies;
  }

  /** Opens the incident's channel (see {@link ensureIncidentChannel}), inviting the declarer. */
  private ensureIncidentChannel(incidentId: string, actor: Actor): Promise<{ channelId: string; name: string } | null> {
    return ensureIncidentChannel(this.deps, incidentId, actor, [actor.id]);
  }
}

function text(line: string): NeutralMessage {
  return { text: line, lines: [line] };
}
