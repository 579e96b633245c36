import { afterAll, beforeAll, expect, it } from 'vitest';
import { chatPlatformsOf } from '../../../src/chat/platforms.ts';
import { slackServerPart } from '../../../src/chat/slack/server-part.ts';
import { loadConfig } from '../../../src/config.ts';
import { ManualClock } from '../../../src/core/clock.ts';
import { createHttpServer } from '../../../src/http.ts';
import { createLogger } from '../../../src/logger.ts';
import { createMetrics } from '../../../src/metrics.ts';
import { createRuntime, type Runtime } from '../../../src/runtime.ts';
import { baseSettings, T0, testI18n } from '../../app/helpers.ts';
import { createTestDatabase, describeDb, type TestDatabase } from '../../helpers/database.ts';
import { FakeSlack } from '../../helpers/slack/fake-slack.ts';
import { slashCommandRequest, signatureHeaders } from '../../helpers/slack/requests.ts';

let database: TestDatabase;
let fake: FakeSlack;

beforeAll(async () => {
  database = await createTestDatabase();
  fake = await new FakeSlack({ token: 'xoxb-part', users: { U1: { locale: 'en-US', name: 'Ann' } } }).start();
});
afterAll(async () => {
  await fake?.stop();
  await database?.drop();
});

function runtimeWith(env: Record<string, string>): Runtime {
  return createRuntime(loadConfig(env), database, { clock: new ManualClock(T0), i18n: testI18n(), settings: baseSettings });
}

const logger = createLogger({ level: 'silent' });

describeDb('slackServerPart', () => {
  it('is absent without SLACK_BOT_TOKEN', () => {
    expect(slackServerPart({ runtime: runtimeWith({}), logger, metrics: createMetrics() })).toBeUndefined();
  });

  it('serves POST /slack/events on the shared server and answers a signed command', async () => {
    const runtime = runtimeWith({ SLACK_BOT_TOKEN: 'xoxb-part', SLACK_SIGNING_SECRET: 'secret', SLACK_API_URL: fake.apiUrl });
    const part = slackServerPart({ runtime, logger, metrics: createMetrics() })!;
    expect(part.name).toBe('slack');
    // Shared with publishing and the manager part through the runtime.
    expect(chatPlatformsOf(runtime).get('slack')?.platform).toBe('slack');
    const http = createHttpServer({ database, logger, metrics: createMetrics(), routes: (app) => part.routes?.(app) });
    const { port } = await http.listen(0, '127.0.0.1');
    try {
      await part.start?.();
      const request = slashCommandRequest({ text: 'help', userId: 'U1', channelId: 'C1', responseUrl: fake.responseUrl('p') });
      const res = await fetch(`http://127.0.0.1:${port}/slack/events`, {
        method: 'POST',
        headers: { 'Content-Type': request.contentType, ...signatureHeaders(request.body, 'secret') },
        body: request.body,
      });
      expect(res.status).toBe(200);
      await part.stop?.();
      expect(fake.callsOf('response_url')).toHaveLength(1);
      expect(fake.rejected).toEqual([]);
    } finally {
      await http.close();
    }
  });
});
