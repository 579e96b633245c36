import { randomBytes, randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { addNote } from '../src/app/add-note.ts';
import { changeSeverity } from '../src/app/change-severity.ts';
import type { CommandMeta } from '../src/app/command-runner.ts';
import { type AppContext, type AppSettings, createAppContext } from '../src/app/context.ts';
import { declareIncident } from '../src/app/declare-incident.ts';
import { setComponents } from '../src/app/set-components.ts';
import { systemClock } from '../src/core/clock.ts';
import { type Actor, IMPACTS, type Severity } from '../src/core/model.ts';
import { type Database, openDatabase, rowsOf } from '../src/db/client.ts';
import * as t from '../src/db/schema.ts';
import { createI18n } from '../src/i18n.ts';
import { loadConfig } from '../src/config.ts';
import { appSettingsFor } from '../src/runtime.ts';
import type { BenchRow } from './run.ts';
import { measure, PHASE_LIMIT_MS, percentile, perSecond, serverVersion, withScratchPostgres } from './support.ts';

const INCIDENT_COUNT = 20;
const WARMUP_COMMANDS = 50;

// Targets come from the product, not from past runs: a major incident has tens of people
// typing, never a hundred commands a second, and a command must leave most of Slack's
// 3-second acknowledgement window to the chat API calls that follow it.
const THROUGHPUT_TARGET = '≥ 100 cmd/s';
const P99_TARGET = '≤ 250 ms';

const settings: AppSettings = appSettingsFor(loadConfig({ LOCALES: 'en,ja', TEAM_TIME_ZONE: 'Asia/Tokyo' }));

const actors: Actor[] = [
  { platform: 'console', id: 'U-bench-1', name: 'Aiko', lang: 'ja' },
  { platform: 'console', id: 'U-bench-2', name: 'Ben', lang: 'en' },
  { platform: 'console', id: 'U-bench-3', name: 'Chika', lang: 'ja' },
  { platform: 'console', id: 'U-bench-4', name: 'Dana', lang: 'en' },
];

// The baseline's table: one row per command, the cheapest durable write a command could be.
const scratch = pgTable('bench_scratch', {
  id: uuid('id').primaryKey(),
  incidentId: uuid('incident_id').notNull(),
  body: text('body').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull(),
});

interface Plan {
  /** Shown in the metric names, e.g. `PostgreSQL 15.14`. */
  label: string;
  commands: number;
  concurrency: number;
}

/** Use-case throughput on PGlite in memory and, when one answers, on a fresh PostgreSQL database. */
export async function run(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const pglite = await openDatabase({});
  try {
    const version = await serverVersion(pglite);
    // PGlite has one connection: concurrent commands would only queue behind each other.
    rows.push(...(await measureOn(pglite, { label: `PGlite in memory, PG ${version}`, commands: 1_000, concurrency: 1 })));
  } finally {
    await pglite.close();
  }
  rows.push(...(await onPostgres()));
  return rows;
}

async function onPostgres(): Promise<BenchRow[]> {
  return (
    (await withScratchPostgres(async (url) => {
      const database = await openDatabase({ url, maxConnections: 8 });
      try {
        const version = await serverVersion(database);
        return await measureOn(database, { label: `PostgreSQL ${version}`, commands: 2_000, concurrency: 8 });
      } finally {
        await database.close();
      }
    })) ?? []
  );
}

async function measureOn(database: Database, plan: Plan): Promise<BenchRow[]> {
  const ctx = createAppContext(database.db, systemClock, settings, createI18n(['en', 'ja']));
  const runId = randomBytes(4).toString('hex');
  const incidents = await declareIncidents(ctx, runId);
  await database.db.execute(
    sql`create table bench_scratch (id uuid primary key, incident_id uuid not null, body text not null, created_at timestamptz not null)`,
  );

  const command = useCaseCommand(ctx, incidents, runId);
  const insert = async (i: number) => {
    await database.db
      .insert(scratch)
      .values({ id: randomUUID(), incidentId: incidents[i % INCIDENT_COUNT]!, body: noteText(i), createdAt: new Date() });
  };

  await measure(insert, WARMUP_COMMANDS, plan.concurrency);
  await measure((i) => command(`warm-${i}`, i), WARMUP_COMMANDS, plan.concurrency);
  const baseline = await measure(insert, plan.commands, plan.concurrency);
  const useCases = await measure((i) => command(String(i), i), plan.commands, plan.concurrency);

  // A benchmark whose commands silently did nothing would flatter the use cases.
  const receipts = rowsOf<{ n: number }>(await database.db.execute(sql`select count(*)::int as n from ${t.commandReceipt}`));
  const expected = INCIDENT_COUNT + WARMUP_COMMANDS + useCases.done;
  if (Number(receipts[0]?.n) !== expected) throw new Error(`expected ${expected} command receipts, found ${receipts[0]?.n}`);

  for (const [what, phase] of [
    ['bare INSERT', baseline],
    ['use cases', useCases],
  ] as const) {
    const note = phase.stoppedEarly ? `, stopped at the ${PHASE_LIMIT_MS / 1000} s limit` : '';
    console.log(`  ${plan.label}: ${what}: ${phase.done} in ${(phase.elapsedMs / 1000).toFixed(2)} s${note}`);
  }

  const where = `${plan.label}, ${useCases.done.toLocaleString('en-US')} cmds, ${plan.concurrency === 1 ? 'sequential' : `${plan.concurrency} concurrent`}`;
  const baselineLabel = 'bare INSERT, same client';
  const row = (metric: string, unit: string, value: number, base: number, target?: string): BenchRow => ({
    metric,
    value,
    unit,
    baseline: base,
    baselineLabel,
    ratio: value / base,
    ...(target ? { target } : {}),
  });
  return [
    row(`use-case throughput (${where})`, 'cmd/s', perSecond(useCases), perSecond(baseline), THROUGHPUT_TARGET),
    row(`use-case median latency (${where})`, 'ms', percentile(useCases.latenciesMs, 0.5), percentile(baseline.latenciesMs, 0.5)),
    row(`use-case p99 latency (${where})`, 'ms', percentile(useCases.latenciesMs, 0.99), percentile(baseline.latenciesMs, 0.99), P99_TARGET),
  ];
}

async function declareIncidents(ctx: AppContext, runId: string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < INCIDENT_COUNT; i++) {
    const { outcome } = await declareIncident(
      ctx,
      { actor: actors[i % actors.length]!, idempotencyKey: `${runId}:declare:${i}` },
      { title: `Bench incident ${i}: elevated API errors`, components: ['api'], started: new Date(Date.now() - 10 * 60_000) },
    );
    ids.push(outcome.incidentId);
  }
  return ids;
}

/**
 * Command i goes to incident i mod 20; one in ten (staggered so every incident gets its
 * share) is a severity or components change, the rest notes. Two changes to one incident
 * are 200 commands apart, so concurrency never makes a severity change a no-op.
 */
function useCaseCommand(ctx: AppContext, incidents: string[], runId: string) {
  const severities = incidents.map((): Severity => 'SEV3');
  return async (key: string, i: number): Promise<void> => {
    const slot = i % INCIDENT_COUNT;
    const round = Math.floor(i / INCIDENT_COUNT);
    const meta: CommandMeta = { actor: actors[i % actors.length]!, idempotencyKey: `${runId}:${key}`, inIncidentChannel: true };
    const incidentId = incidents[slot]!;
    if ((round + slot) % 10 !== 0) {
      await addNote(ctx, meta, incidentId, { text: noteText(i) });
    } else if (Math.floor((round + slot) / 10) % 2 === 0) {
      const severity: Severity = severities[slot] === 'SEV2' ? 'SEV3' : 'SEV2';
      severities[slot] = severity;
      await changeSeverity(ctx, meta, incidentId, { severity });
    } else {
      await setComponents(ctx, meta, incidentId, { components: ['api', 'console'], impact: IMPACTS[i % IMPACTS.length]! });
    }
  };
}

function noteText(i: number): string {
  return `Checked the API gateway: 5xx rate ${i % 97}% on shard ${i % 7}, rolling back deploy #${i}.`;
}
