import type { Agent } from 'node:https';
import { nodeHandler } from '../../http.ts';
import type { ServerPart, ServerPartFactory } from '../../main.ts';
import { createCloudAdapter, processNodeRequest, type TeamsAuthOverrides } from './teams-adapter.ts';
import { GraphClient } from './graph-client.ts';
import { TeamsBot } from './teams-bot.ts';
import { TeamsPlatform } from './teams-platform.ts';
import { chatPlatformsOf } from '../platforms.ts';

/** Test and deployment seams that are not settings: auth overrides, the Graph login URL and TLS agent. */
export interface TeamsPartOptions extends TeamsAuthOverrides {
  graphLoginUrl?: string;
  graphAgent?: Agent;
  /** Serve Teams even without `MicrosoftAppId` (unauthenticated: local tests, the Agents Playground). */
  enableWithoutAppId?: boolean;
}

/**
 * Microsoft Teams at `POST /api/messages`: on when `MicrosoftAppId` is set (authenticated), or
 * when asked explicitly without one.
 */
export function teamsPart(options: TeamsPartOptions = {}): ServerPartFactory {
  return ({ runtime, logger, metrics }): ServerPart | undefined => {
    const { teams, incidentsChannel } = runtime.config;
    if (!teams.appId && !options.enableWithoutAppId) return undefined;
    const log = logger.child({ part: 'teams' });
    const adapter = createCloudAdapter(teams, log, options);
    const tenantId = teams.tenantId;
    const graph =
      teams.teamId && teams.appId && teams.appPassword && tenantId
        ? {
            teamId: teams.teamId,
            client: new GraphClient({
              appId: teams.appId,
              appPassword: teams.appPassword,
              tenantId,
              ...(teams.graphApiUrl ? { baseUrl: teams.graphApiUrl } : {}),
              ...(options.graphLoginUrl ? { loginUrl: options.graphLoginUrl } : {}),
              ...(options.graphAgent ? { agent: options.graphAgent } : {}),
            }),
          }
        : undefined;
    if (teams.teamId && !graph) log.warn('TEAMS_TEAM_ID is set but Graph needs MicrosoftAppId, MicrosoftAppPassword and MicrosoftAppTenantId: incidents open as threads');
    const bot = new TeamsBot({ app: runtime.app, i18n: runtime.i18n, logger: log, metrics, adapter, appId: teams.appId ?? '', graph, incidentsChannel });
    const handler = processNodeRequest(adapter, bot.onTurn);
    // Without a turn: posts proactively on stored conversation references (publishing, reminders, digests).
    chatPlatformsOf(runtime).register(new TeamsPlatform({ adapter, appId: teams.appId ?? '', db: runtime.app.db, logger: log, graph, incidentsChannel }));
    return {
      name: 'teams',
      routes(app) {
        app.post('/api/messages', nodeHandler(handler));
      },
    };
  };
}

/** The production factory for SERVER_PARTS. */
export const teamsServerPart: ServerPartFactory = teamsPart();
