import type { Verb } from '../../core/command.ts';
import { actionCommand } from './action.ts';
import { assignCommand } from './assign.ts';
import { causeCommand } from './cause.ts';
import { closeCommand } from './close.ts';
import { componentsCommand } from './components.ts';
import { declareCommand } from './declare.ts';
import { followCommand } from './follow.ts';
import { helpCommand } from './help.ts';
import { keyMomentCommand } from './key-moment.ts';
import { listCommand } from './list.ts';
import { maintenanceCommand } from './maintenance.ts';
import { postmortemCommand } from './postmortem.ts';
import { publishCommand } from './publish.ts';
import { remindCommand } from './remind.ts';
import { reopenCommand } from './reopen.ts';
import { severityCommand } from './severity.ts';
import { snoozeCommand } from './snooze.ts';
import { statusCommand } from './status.ts';
import { summaryCommand } from './summary.ts';
import { timelineCommand } from './timeline.ts';
import type { ChatCommandDefinition, ChatCommandTable } from './types.ts';
import { updateCommand } from './update.ts';
import { webCommand } from './web.ts';

/** Every chat verb and the one definition that runs it; each lives in its own file. */
export const CHAT_COMMANDS = {
  help: helpCommand,
  list: listCommand,
  follow: followCommand,
  declare: declareCommand,
  summary: summaryCommand,
  timeline: timelineCommand,
  update: updateCommand,
  status: statusCommand,
  publish: publishCommand,
  severity: severityCommand,
  components: componentsCommand,
  assign: assignCommand,
  started: keyMomentCommand,
  detected: keyMomentCommand,
  mitigated: keyMomentCommand,
  cause: causeCommand,
  action: actionCommand,
  remind: remindCommand,
  snooze: snoozeCommand,
  close: closeCommand,
  postmortem: postmortemCommand,
  reopen: reopenCommand,
  maintenance: maintenanceCommand,
  web: webCommand,
} satisfies ChatCommandTable;

/** The definition registered under a verb; throws for a verb nothing handles (a command built outside the parser). */
export function chatCommandFor(verb: Verb): ChatCommandDefinition<Verb> {
  if (!Object.hasOwn(CHAT_COMMANDS, verb)) throw new Error(`unhandled verb ${verb}`);
  // The table's type pairs each verb with a run that accepts that verb's command, so the
  // command whose verb picked the definition is one it runs; TypeScript cannot follow that link.
  return CHAT_COMMANDS[verb] as ChatCommandDefinition<Verb>;
}
