import { afterAll, beforeAll } from 'vitest';
import { killAllServe } from './processes.ts';
import { newSecret } from './publishing.ts';
import { createScratchDatabase, type ScratchDatabase } from './scratch-db.ts';
import { type SmtpSink, startSmtpSink, startWebhookReceiver, type WebhookReceiver } from './sinks.ts';

/** What a publishing fault file runs against: its own database, an SMTP sink and a webhook receiver. */
export interface FaultStack {
  db: ScratchDatabase;
  smtp: SmtpSink;
  hooks: WebhookReceiver;
  /** The webhook subscribers' signing secret, which the receiver verifies. */
  secret: string;
}

/**
 * Sets the stack up before the file's tests and tears it down after them, every `tsuiki
 * serve` child included, even when a test failed. Its fields are there once `beforeAll` ran.
 */
export function useFaultStack(): FaultStack {
  const stack = { secret: newSecret() } as FaultStack;
  beforeAll(async () => {
    stack.db = await createScratchDatabase();
    stack.smtp = await startSmtpSink();
    stack.hooks = await startWebhookReceiver(stack.secret);
  });
  afterAll(async () => {
    await killAllServe();
    await stack.smtp?.close();
    await stack.hooks?.close();
    await stack.db?.drop();
  });
  return stack;
}
