import { resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { ConsoleSession } from './chat/console/console-session.ts';
import type { Actor } from './core/model.ts';
import type { Logger } from './logger.ts';
import type { Runtime } from './runtime.ts';

/**
 * The sample incident `tsuiki demo` replays: a multi-service outage whose impact began
 * before anyone declared it, told through the same commands a person would type.
 * Times are relative to now, so the replay always reads as something that just happened.
 */
export function demoScript(now: Date, zone: string): string[] {
  const at = (minutesAgo: number) => {
    const parts = new Intl.DateTimeFormat('en-GB', { timeZone: zone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(
      new Date(now.getTime() - minutesAgo * 60_000),
    );
    return `${parts.find((p) => p.type === 'hour')!.value}:${parts.find((p) => p.type === 'minute')!.value}`;
  };
  return [
    `/incident declare Elevated API errors and console unavailable --sev 1 --components api,console,sms --started ${new Date(now.getTime() - 150 * 60_000).toISOString()}`,
    `/incident detected ${new Date(now.getTime() - 149 * 60_000).toISOString()}`,
    `/incident components api,console major_outage`,
    `/incident assign comms @aiko`,
    `/incident update at ${at(125)} Paged the on-call engineer; error rate on REST API above 40%`,
    `/incident status identified Overload in an internal management service used by several products. Failover is in progress.`,
    // No machine translator (TRANSLATOR=none): a person types the Japanese through Edit translation, then publishes.
    `!2 ja 複数の製品が利用する内部管理サービスで過負荷が発生しています。フェイルオーバーを実施中です。`,
    `!4`,
    `/incident update Failover to the standby management cluster started`,
    `/incident mitigated ${new Date(now.getTime() - 20 * 60_000).toISOString()}`,
    `/incident status monitoring Most new API traffic has recovered. Queued SMS messages are still being delivered.`,
    `!8 ja 新規の API リクエストはほぼ回復しました。滞留している SMS メッセージを引き続き配信しています。`,
    `!10`,
    `/incident cause The management service overloaded and its failover did not complete in every service`,
    `/incident action Add capacity and review autoscaling for the management service @ken`,
    `/incident action Serve from the management cache when the service fails`,
    `/incident summary`,
    `/incident close All services have recovered. Queued messages have been delivered.`,
    `!14 ja すべてのサービスが回復しました。滞留していたメッセージの配信も完了しました。`,
    `!16`,
    `/incident timeline`,
  ];
}

/**
 * Replays the demo incident through a console session and prints what a chat user would see,
 * then where the story continues: the postmortem drafts and the status page.
 */
export async function runDemo(runtime: Runtime, actor: Actor, out: Writable, logger: Logger, options: { inMemory?: boolean } = {}): Promise<void> {
  const session = new ConsoleSession(runtime, out, actor, logger);
  for (const line of demoScript(runtime.app.clock.now(), runtime.app.settings.teamTimeZone)) {
    out.write(`\n#${session.channel}> ${line}\n`);
    await session.input(line);
  }
  const t = runtime.i18n.t(actor.lang);
  const filesDir = resolve(runtime.config.dataDir, 'files');
  const ending = [
    t('bot:demo.end'),
    t('bot:demo.postmortem', { files: filesDir }),
    options.inMemory ? t('bot:demo.statusPageMemory') : t('bot:demo.statusPage', { url: `${runtime.config.publicUrl}/status` }),
  ];
  out.write(`\n${ending.join('\n')}\n`);
}
