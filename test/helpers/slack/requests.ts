import { createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SPECS_DIR } from './web-api-spec.ts';

const SLACK_DIR = join(SPECS_DIR, 'slack');

function recorded(file: string, pointer: string): Record<string, unknown> {
  let value = JSON.parse(readFileSync(join(SLACK_DIR, file), 'utf8')) as unknown;
  for (const part of pointer.split('/').filter(Boolean)) value = (value as Record<string, unknown>)[part];
  return structuredClone(value) as Record<string, unknown>;
}

/** Slack's v0 signature headers over `v0:<timestamp>:<body>`, exactly as Slack signs requests. */
export function signatureHeaders(body: string, secret: string, timestamp = Math.floor(Date.now() / 1000)): Record<string, string> {
  const signature = `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
  return { 'X-Slack-Request-Timestamp': String(timestamp), 'X-Slack-Signature': signature };
}

/** A trigger id in Slack's shape: unique per request, as Slack makes them. */
export function newTriggerId(): string {
  return `${Date.now()}.10229338706656.${randomBytes(16).toString('hex')}`;
}

/** A request body and its content type, ready to sign. */
export interface SlackRequest {
  body: string;
  contentType: string;
}

/** A slash command as Slack sends it (form fields), from the recorded `slashCommandWithArgs`. */
export function slashCommandRequest(input: { text: string; userId: string; userName?: string; channelId: string; responseUrl: string; triggerId?: string }): SlackRequest & { triggerId: string } {
  const fields = recorded('vercel-chat-replay/slash-commands_slack.json', '/slashCommandWithArgs') as Record<string, string>;
  const triggerId = input.triggerId ?? newTriggerId();
  Object.assign(fields, {
    command: '/incident',
    text: input.text,
    user_id: input.userId,
    user_name: input.userName ?? fields.user_name,
    channel_id: input.channelId,
    channel_name: input.channelId.toLowerCase(),
    response_url: input.responseUrl,
    trigger_id: triggerId,
  });
  return { body: new URLSearchParams(fields).toString(), contentType: 'application/x-www-form-urlencoded', triggerId };
}

/** A button press (block_actions) as Slack sends it, from the recorded `/action` of modals_slack.json. */
export function buttonRequest(input: { actionId: string; value: string; userId: string; channelId: string; messageTs: string; responseUrl: string; triggerId?: string }): SlackRequest {
  const payload = recorded('vercel-chat-replay/modals_slack.json', '/action') as Record<string, any>;
  payload.user = { ...payload.user, id: input.userId };
  payload.container = { type: 'message', message_ts: input.messageTs, channel_id: input.channelId, is_ephemeral: false };
  delete payload.container.thread_ts;
  payload.channel = { id: input.channelId, name: 'incident' };
  payload.message = { ...payload.message, ts: input.messageTs, thread_ts: undefined, user: 'UBOT', bot_id: 'BBOT' };
  payload.trigger_id = input.triggerId ?? newTriggerId();
  payload.response_url = input.responseUrl;
  payload.actions = [{ action_id: input.actionId, block_id: 'preview', text: { type: 'plain_text', text: input.actionId, emoji: true }, value: input.value, type: 'button', action_ts: '1772000000.000001' }];
  return { body: `payload=${encodeURIComponent(JSON.stringify(payload))}`, contentType: 'application/x-www-form-urlencoded' };
}

/** A modal submitted (view_submission), from the recorded `/viewSubmission` of slash-commands_slack.json. */
export function viewSubmissionRequest(input: {
  callbackId: string;
  privateMetadata: string;
  values: Record<string, Record<string, unknown>>;
  userId: string;
  triggerId?: string;
}): SlackRequest {
  const payload = recorded('vercel-chat-replay/slash-commands_slack.json', '/viewSubmission') as Record<string, any>;
  payload.user = { ...payload.user, id: input.userId };
  payload.trigger_id = input.triggerId ?? newTriggerId();
  payload.view = { ...payload.view, callback_id: input.callbackId, private_metadata: input.privateMetadata, state: { values: input.values } };
  return { body: `payload=${encodeURIComponent(JSON.stringify(payload))}`, contentType: 'application/x-www-form-urlencoded' };
}

/** An app_mention event callback, from the recorded `/mention` of modals_slack.json. */
export function appMentionRequest(input: { text: string; userId: string; channelId: string; eventId: string }): SlackRequest {
  const payload = recorded('vercel-chat-replay/modals_slack.json', '/mention') as Record<string, any>;
  payload.event_id = input.eventId;
  payload.event = { ...payload.event, text: `<@UBOT> ${input.text}`, user: input.userId, channel: input.channelId };
  return { body: JSON.stringify(payload), contentType: 'application/json' };
}
