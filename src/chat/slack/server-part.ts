import { nodeHandler } from '../../http.ts';
import type { SyncServerPartFactory } from '../../server-part.ts';
import { createSlackApp, SLACK_EVENTS_PATH } from './slack-app.ts';

/** Slack as a server part: POST /slack/events on the shared server (or Socket Mode); absent without SLACK_BOT_TOKEN. */
export const slackServerPart: SyncServerPartFactory = ({ runtime, logger, metrics }) => {
  const { botToken, signingSecret, appToken, apiUrl } = runtime.config.slack;
  if (!botToken) return undefined;
  const slack = createSlackApp({ runtime, logger, metrics, botToken, signingSecret, appToken, apiUrl });
  const listener = slack.requestListener;
  return {
    name: 'slack',
    routes: (app) => {
      if (listener) app.post(SLACK_EVENTS_PATH, nodeHandler(listener));
    },
    start: () => slack.start(),
    stop: () => slack.stop(),
  };
};
