import type { MaintenanceCommand } from './maintenance.ts';
import type { Impact, SettableMoment, SettableStatus, Severity, Visibility } from './model.ts';

/** The canonical verbs; Japanese and other aliases map onto these in the parser. */
export const VERBS = [
  'help',
  'declare',
  'update',
  'status',
  'publish',
  'severity',
  'components',
  'assign',
  'started',
  'detected',
  'mitigated',
  'cause',
  'action',
  'remind',
  'snooze',
  'summary',
  'timeline',
  'list',
  'close',
  'postmortem',
  'follow',
  'reopen',
  'maintenance',
  'web',
] as const;
export type Verb = (typeof VERBS)[number];

/** Verbs that act on one incident: inside an incident channel it is implied, elsewhere `INC-n` names it. */
export const INCIDENT_VERBS: readonly Verb[] = [
  'update',
  'status',
  'publish',
  'severity',
  'components',
  'assign',
  'started',
  'detected',
  'mitigated',
  'cause',
  'action',
  'remind',
  'snooze',
  'summary',
  'timeline',
  'close',
  'postmortem',
  'reopen',
];

/** What a person asked for, parsed and validated, with every time already resolved to an instant. */
export type Command =
  | { verb: 'help'; topic?: Verb }
  /** `form: true` when `declare` had no text: the platform opens its form instead. */
  | { verb: 'declare'; form: true }
  | {
      verb: 'declare';
      form: false;
      title: string;
      severity?: Severity;
      components: string[];
      visibility: Visibility;
      started?: Date;
      summary?: string;
    }
  /**
   * `update` and `note` are the same internal timeline entry; `at` back-dates it.
   * `bareClock` marks a time typed as a bare `HH:MM` (its most recent occurrence), which
   * the incident's use case refuses when it lands before the incident began.
   */
  | { verb: 'update'; text: string; at?: Date; bareClock?: true }
  | { verb: 'status'; status: SettableStatus; publicText?: string; at?: Date; bareClock?: true }
  | { verb: 'publish'; text: string }
  | { verb: 'severity'; severity: Severity }
  | { verb: 'components'; components: string[]; impact?: Impact }
  | { verb: 'assign'; role: string; user: ChatUserRef }
  | { verb: SettableMoment; at: Date; bareClock?: true }
  | { verb: 'cause'; text: string }
  | { verb: 'action'; text: string; owner?: ChatUserRef }
  | { verb: 'remind'; minutes: number }
  /** Pauses reminders in the incident for that many minutes. */
  | { verb: 'snooze'; minutes: number }
  | { verb: 'summary' }
  | { verb: 'timeline' }
  | { verb: 'list' }
  /** An ephemeral single-use sign-in link to the web app. */
  | { verb: 'web' }
  | { verb: 'close'; finalText?: string }
  | { verb: 'postmortem' }
  | { verb: 'follow'; url: string }
  /** Reopens a resolved or closed incident; the reason goes on the timeline. */
  | { verb: 'reopen'; reason?: string }
  /** Schedules, lists, changes or cancels a maintenance window (`MNT-n`); see src/core/maintenance.ts. */
  | MaintenanceCommand;

/**
 * A person named in a command: a platform mention (`<@U123>` in Slack, `<at>` in Teams,
 * `@name` in the console) or plain text when the platform gives no id.
 */
export interface ChatUserRef {
  /** Platform user id when the mention carried one. */
  id?: string;
  /** What was typed, for display. */
  display: string;
}

/** A parsed command plus the incident it names explicitly (`INC-42`), if any. */
export interface ParsedCommand {
  command: Command;
  incidentNumber?: number;
}

/** A person mentioned in the text, as the platform decoded it: `@Taro Yamada` in the text, the id kept aside. */
export interface MentionRef {
  id: string;
  /** As it now reads in the text, `@` included. */
  display: string;
}

/** What the parser needs to resolve times: the moment the command was said and the zone of the person who typed it. */
export interface ParseContext {
  now: Date;
  timeZone: string;
  /** People the platform decoded from its mention markup; `assign` and `action` take their ids from here. */
  mentions?: readonly MentionRef[];
}
