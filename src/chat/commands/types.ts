import type { TFunction } from 'i18next';
import type { CommandMeta } from '../../app/command-runner.ts';
import type { AppContext } from '../../app/context.ts';
import type { Command, Verb } from '../../core/command.ts';
import type { I18n } from '../../i18n.ts';
import type { DispatchResult } from '../message.ts';
import type { NeutralMessage, Reply } from '../message.ts';
import type { RenderContext } from '../render.ts';
import type { ChatFile } from '../platform.ts';
import type { PostmortemLinks } from '../postmortem-link.ts';
import type { TimelineLinks } from '../timeline-link.ts';

/**
 * The command of verb V. An intersection rather than `Extract`, so that one verb of a
 * shape shared by several (`started` of the key moments) still names its command.
 */
export type CommandOf<V extends Verb> = Command & { verb: V };

/** What a command may use besides its own arguments: the use cases, the asker's words and zone. */
export interface CommandContext {
  app: AppContext;
  i18n: I18n;
  /** The asker's language. */
  lang: string;
  /** The translate function fixed to {@link lang}. */
  tr: TFunction;
  rc: RenderContext;
  /** Who asks, under which retry key; for an incident verb also whether it was said in the incident's channel. */
  meta: CommandMeta;
  timelineLinks: TimelineLinks | undefined;
  /** Signs links to the rendered postmortem; undefined without a secret to sign with. */
  postmortemLinks?: PostmortemLinks | undefined;
  /** Opens the incident's channel and invites the asker; null when it could not be opened (logged), undefined where there is no chat platform to open it on (the REST API without Slack or Teams). */
  ensureIncidentChannel(incidentId: string): Promise<{ channelId: string; name: string } | null | undefined>;
}

/** What an incident verb answers; the dispatcher shows a write's answer where the incident lives. */
export interface CommandReply {
  message: NeutralMessage;
  /** A retry answered from the stored receipt: the dispatcher adds the "already recorded" line. */
  replayed?: boolean;
  /** The public update whose preview follows the answer. */
  previewUpdateId?: string;
  /** Files the dispatcher shares after the answer where the incident lives (the postmortem drafts). */
  files?: ChatFile[];
}

/** What a global verb answers: one reply, to the asker unless `visibility` says otherwise, plus what a front end acts on. */
export interface GlobalCommandReply extends CommandReply {
  visibility?: Reply['visibility'];
  openForm?: DispatchResult['openForm'];
  incidentId?: string;
  declared?: DispatchResult['declared'];
}

/** How a verb runs, apart from which verbs it serves. */
export type CommandBehaviour<V extends Verb> =
  | {
      /** Runs without an incident (help, list, follow, declare). */
      scope: 'global';
      run: (ctx: CommandContext, command: CommandOf<V>) => Promise<GlobalCommandReply>;
    }
  | {
      /** The dispatcher resolves the incident first: the channel's, or the one an explicit `INC-n` names. */
      scope: 'incident';
      /** True for a write, whose answer is shown where the incident lives; a read answers the asker only. */
      writes: boolean;
      run: (ctx: CommandContext, command: CommandOf<V>, incidentId: string) => Promise<CommandReply>;
    };

/** One file's command: the verbs it serves and how it runs them. */
export type ChatCommandDefinition<V extends Verb> = { verbs: readonly V[] } & CommandBehaviour<V>;

/**
 * The registry's shape: under each verb, a definition that runs that verb's command (it
 * may serve other verbs too). A verb without an entry does not compile.
 */
export type ChatCommandTable = { [V in Verb]: { verbs: readonly Verb[] } & CommandBehaviour<V> };
