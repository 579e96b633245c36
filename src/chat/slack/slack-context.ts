import type { WebClient } from '@slack/web-api';
import type { AppContext } from '../../app/context.ts';
import type { I18n } from '../../i18n.ts';
import type { Logger } from '../../logger.ts';
import type { Dispatcher } from '../dispatcher.ts';
import type { InboxWorker } from '../../outbox/inbox.ts';
import type { SlackPlatform } from './slack-platform.ts';
import type { SlackUsers } from './slack-users.ts';

/** What every listener needs; built once per Slack app. */
export interface SlackContext {
  app: AppContext;
  dispatcher: Dispatcher;
  platform: SlackPlatform;
  client: WebClient;
  users: SlackUsers;
  i18n: I18n;
  logger: Logger;
  /** Processes stored requests; kicked after each store. */
  inbox: InboxWorker;
  teamTimeZone: string;
}
