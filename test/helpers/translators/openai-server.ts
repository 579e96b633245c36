import { type FakeServer, sendJson, startFake, transform } from './behaviour.ts';

export const FAKE_OPENAI_KEY = 'sk-test';

export interface FakeOpenAi extends FakeServer {
  /** Base URL for the client (`…/v1`). */
  baseUrl: string;
  /** Every chat-completions request body received. */
  requests: { model: string; messages: { role: string; content: string }[] }[];
}

/**
 * The OpenAI chat-completions API (`POST /v1/chat/completions`) as the official client and
 * compatible servers speak it. It "translates" the last user message according to its mode,
 * reading the target language from the system prompt.
 */
export async function startFakeOpenAi(): Promise<FakeOpenAi> {
  const requests: FakeOpenAi['requests'] = [];
  const fake = await startFake((req, body, res, server) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (req.headers.authorization !== `Bearer ${FAKE_OPENAI_KEY}`) {
      return sendJson(res, 401, { error: { message: 'Incorrect API key provided', type: 'invalid_request_error', code: 'invalid_api_key' } });
    }
    if (req.method !== 'POST' || path !== '/v1/chat/completions') return sendJson(res, 404, { error: { message: 'Not found', type: 'invalid_request_error' } });
    const request = JSON.parse(body) as FakeOpenAi['requests'][number];
    requests.push(request);
    const mode = server.mode;
    if (mode === 'timeout') return;
    if (typeof mode === 'number') return sendJson(res, mode, { error: { message: `fake status ${mode}`, type: 'server_error', code: null } });
    const system = request.messages.find((m) => m.role === 'system')?.content ?? '';
    const target = /to ([A-Za-z]+)\./.exec(system)?.[1] ?? 'xx';
    const user = [...request.messages].reverse().find((m) => m.role === 'user')?.content ?? '';
    const content = transform(user, target.slice(0, 2).toLowerCase(), mode, /⟦\d+⟧/);
    return sendJson(res, 200, {
      id: 'chatcmpl-fake',
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: request.model,
      choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, finish_reason: 'stop', logprobs: null }],
      usage: { prompt_tokens: 10, completion_tokens: 10, total_tokens: 20 },
    });
  });
  return Object.assign(fake, { baseUrl: `${fake.url}/v1`, requests });
}
