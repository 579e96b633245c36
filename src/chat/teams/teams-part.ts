import type { Agent } from 'node:https';
import type { Logger } from '../../logger.ts';
import { isLoopbackHost } from '../../config.ts';
import { nodeHandler } from '../../http.ts';
import type { ServerPart, ServerPartDeps, SyncServerPartFactory } from '../../server-part.ts';
import { INCIDENT_PLACE_JOB } from '../../app/incident-place.ts';
import { handleIncidentChanges } from '../header-refresh.ts';
import { chatPlatformsOf } from '../platforms.ts';
import { postmortemLinksFor } from '../postmortem-link.ts';
import { TeamsConnector } from './connector-client.ts';
import { GraphClient } from './graph-client.ts';
import { botTokenSource, createBotAuthentication, createCloudAdapter, processNodeRequest, type TeamsAuthOverrides } from './teams-adapter.ts';
import { TeamsBot } from './teams-bot.ts';
import { openPlaceFromOrigin } from './place-backstop.ts';
import { TeamsPlatform } from './teams-platform.ts';
import { createTeamsWorker, type TeamsWorker } from './teams-worker.ts';

/** Test and deployment seams that are not settings: auth overrides, the Graph login URL and TLS agent. */
export interface TeamsPartOptions extends TeamsAuthOverrides {
  graphLoginUrl?: string;
  graphAgent?: Agent;
  /** Serve Teams even without `MicrosoftAppId` (unauthenticated: local tests, the Agents Playground). */
  enableWithoutAppId?: boolean;
}

/**
 * Microsoft Teams at `POST /api/messages`: on when `MicrosoftAppId` is set (authenticated), or
 * when asked explicitly without one. The turn answers its invoker; the part's worker sends
 * everything else from the queue (started with the part, kicked after every turn).
 */
export function teamsPart(options: TeamsPartOptions = {}): (deps: ServerPartDeps) => (ServerPart & { worker: TeamsWorker }) | undefined {
  return ({ runtime, logger, metrics }) => {
    const { teams, incidentsChannel } = runtime.config;
    if (!teams.appId && !options.enableWithoutAppId && !teams.playground) return undefined;
    const { app, i18n } = runtime;
    const log = logger.child({ part: 'teams' });
    if (teams.playground) {
      // Config refuses TEAMS_PLAYGROUND with an app id or on a non-loopback HOST; checked again here, where it matters.
      if (teams.appId || !isLoopbackHost(runtime.config.host)) throw new Error(`TEAMS_PLAYGROUND serves Teams without authentication, only on a loopback HOST (now ${runtime.config.host}) and without MicrosoftAppId`);
      log.warn({ host: runtime.config.host }, 'TEAMS_PLAYGROUND=true: Teams at /api/messages is served WITHOUT authentication (Microsoft 365 Agents Playground); never expose this port');
    }
    const tokenEndpoints = {
      ...(teams.identityEndpoint ? { identityEndpoint: teams.identityEndpoint } : {}),
      ...(teams.identityHeaderSecret ? { identityHeader: teams.identityHeaderSecret } : {}),
      ...options.tokenEndpoints,
    };
    const auth = createBotAuthentication(teams, { ...options, tokenEndpoints });
    const adapter = createCloudAdapter(teams, log, options, auth);
    const tenantId = teams.tenantId;
    const managedIdentity = teams.appType === 'UserAssignedMSI';
    const graph =
      teams.teamId && teams.appId && (teams.appPassword || managedIdentity) && tenantId
        ? {
            teamId: teams.teamId,
            client: new GraphClient({
              appId: teams.appId,
              appPassword: teams.appPassword,
              ...(managedIdentity ? { tokens: botTokenSource({ ...teams, appId: teams.appId }, tokenEndpoints) } : {}),
              tenantId,
              ...(teams.graphApiUrl ? { baseUrl: teams.graphApiUrl } : {}),
              ...(options.graphLoginUrl ? { loginUrl: options.graphLoginUrl } : {}),
              ...(options.graphAgent ? { agent: options.graphAgent } : {}),
            }),
          }
        : undefined;
    if (teams.teamId && !graph) log.warn('TEAMS_TEAM_ID is set but Graph needs MicrosoftAppId, MicrosoftAppTenantId and MicrosoftAppPassword (or MicrosoftAppType=UserAssignedMSI): incidents open as threads');
    const connector = new TeamsConnector({ auth, appId: teams.appId ?? '' });
    const jobsWorker = createTeamsWorker({ app, i18n, connector, graph, logger: log, jobs: runtime.jobs });
    const later = afterTurns(log, () => jobsWorker.kick());
    // Draining (tests, shutdown) first waits for what answered turns still have to queue.
    const worker: TeamsWorker = {
      start: () => jobsWorker.start(),
      kick: () => jobsWorker.kick(),
      drain: async () => {
        await later.idle();
        await jobsWorker.drain();
      },
      stop: async () => {
        await later.idle();
        await jobsWorker.stop();
      },
    };
    const bot = new TeamsBot({
      afterTurn: later.run,
      app,
      i18n,
      logger: log,
      metrics,
      graphTeamId: graph?.teamId,
      incidentsChannel,
      postmortemLinks: postmortemLinksFor(runtime),
    });
    // Headers are rendered by the job runner, on every platform, from the job each write leaves.
    handleIncidentChanges(runtime.jobs, { app, i18n, logger: log, platforms: () => chatPlatformsOf(runtime).all() });
    // The backstop of a declaring turn that stopped before it opened the incident's place.
    runtime.jobs.register(INCIDENT_PLACE_JOB, (payload) =>
      openPlaceFromOrigin({ app, logger: log, graphTeamId: graph?.teamId, incidentsChannel, onQueued: () => worker.kick() }, payload),
    );
    const handler = processNodeRequest(adapter, bot.onTurn, log);
    // Publishing, reminders and digests post through this one; it queues and wakes the worker.
    chatPlatformsOf(runtime).register(
      new TeamsPlatform({ db: app.db, clock: app.clock, newId: app.newId, logger: log, graphTeamId: graph?.teamId, incidentsChannel, onQueued: () => worker.kick() }),
    );
    return {
      name: 'teams',
      worker,
      routes(http) {
        http.post(
          '/api/messages',
          nodeHandler(async (req, res) => {
            try {
              await handler(req, res);
            } finally {
              // The turn has answered: what it queued goes out now, from the worker.
              worker.kick();
            }
          }),
        );
      },
      async start() {
        worker.start();
      },
      async stop() {
        await worker.stop();
      },
    };
  };
}

/**
 * Work a turn leaves for after its answer, run at once in the background: in order per Teams
 * conversation (one person's commands reach the incident's place in the order they were
 * answered), side by side across conversations; the worker is kicked after each.
 */
function afterTurns(logger: Logger, kick: () => void): { run(conversationId: string, work: () => Promise<void>): void; idle(): Promise<void> } {
  const tails = new Map<string, Promise<void>>();
  return {
    run(conversationId, work) {
      const previous = tails.get(conversationId) ?? Promise.resolve();
      const next = previous
        .then(work)
        .catch((e: unknown) => logger.warn({ err: e }, 'the work after a Teams turn failed'))
        .finally(() => {
          if (tails.get(conversationId) === next) tails.delete(conversationId);
          kick();
        });
      tails.set(conversationId, next);
    },
    async idle() {
      while (tails.size > 0) await Promise.all(tails.values());
    },
  };
}

/** The production factory for SERVER_PARTS. */
export const teamsServerPart: SyncServerPartFactory = teamsPart();
