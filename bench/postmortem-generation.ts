import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { createAppContext } from '../src/app/context.ts';
import { declareIncident } from '../src/app/declare-incident.ts';
import { generatePostmortem } from '../src/app/generate-postmortem.ts';
import { systemClock } from '../src/core/clock.ts';
import type { EntryKind } from '../src/core/model.ts';
import { openDatabase } from '../src/db/client.ts';
import { loadSnapshot } from '../src/db/incident-repository.ts';
import * as t from '../src/db/schema.ts';
import { createI18n } from '../src/i18n.ts';
import { loadConfig } from '../src/config.ts';
import { appSettingsFor } from '../src/runtime.ts';
import type { BenchRow } from './run.ts';
import { percentile, serverVersion, withScratchPostgres } from './support.ts';

const ENTRIES = 5_000;
const RUNS = 15;
const KINDS: EntryKind[] = ['note', 'note', 'note', 'status', 'component', 'role', 'cause', 'action', 'moment'];

/** `postmortem` on a 5,000-entry incident on PostgreSQL: load, render en + ja, store — beside the load alone. */
export async function run(): Promise<BenchRow[]> {
  return (
    (await withScratchPostgres(async (url) => {
      const database = await openDatabase({ url });
      try {
        const i18n = createI18n(['en', 'ja']);
        const ctx = createAppContext(database.db, systemClock, appSettingsFor(loadConfig({ LOCALES: 'en,ja', TEAM_TIME_ZONE: 'Asia/Tokyo' })), i18n);
        const actor = { platform: 'console' as const, id: 'U-bench', name: 'bench', lang: 'en' };
        const started = new Date(Date.now() - 48 * 3600_000);
        const { outcome } = await declareIncident(ctx, { actor }, { title: 'Long-running partial outage', components: ['api', 'console'], started });
        const statuses = ['identified', 'monitoring', 'investigating'];
        const rows = Array.from({ length: ENTRIES }, (_, i) => {
          const kind = KINDS[i % KINDS.length]!;
          const at = new Date(started.getTime() + i * 30_000);
          return {
            id: randomUUID(),
            incidentId: outcome.incidentId,
            kind,
            authorId: `U-${i % 12}`,
            authorName: `Responder ${i % 12}`,
            occurredAt: at,
            recordedAt: new Date(at.getTime() + (i % 5 === 0 ? 300_000 : 0)),
            text: kind === 'status' || kind === 'component' || kind === 'role' || kind === 'moment' ? null : `Step ${i}: checked shard ${i % 7}, 5xx at ${i % 97}% | see INC-${i}`,
            sourceLang: 'en',
            data:
              kind === 'status'
                ? { status: statuses[i % 3], from: statuses[(i + 2) % 3] }
                : kind === 'component'
                  ? { components: [{ id: 'api', name: 'api', impact: 'partial_outage' }] }
                  : kind === 'role'
                    ? { role: 'scribe', userId: `U-${i % 12}`, userName: `Responder ${i % 12}` }
                    : kind === 'moment'
                      ? { moment: 'detected', at: at.toISOString() }
                      : {},
          };
        });
        for (let i = 0; i < rows.length; i += 500) await database.db.insert(t.timelineEntry).values(rows.slice(i, i + 500));

        const loads: number[] = [];
        const generations: number[] = [];
        for (let i = 0; i < RUNS; i++) {
          let began = performance.now();
          const snapshot = await loadSnapshot(database.db, outcome.incidentId);
          loads.push(performance.now() - began);
          if (snapshot!.entries.length < ENTRIES) throw new Error(`expected ${ENTRIES} entries, loaded ${snapshot!.entries.length}`);
          began = performance.now();
          await generatePostmortem(ctx, { actor, inIncidentChannel: true }, outcome.incidentId);
          generations.push(performance.now() - began);
        }
        const version = await serverVersion(database);
        console.log(`  postmortem-generation: each run, ms: ${generations.map((g) => Math.round(g)).join(', ')}`);
        const median = percentile(generations, 0.5);
        const loadMedian = percentile(loads, 0.5);
        return [
          {
            metric: `postmortem for ${ENTRIES.toLocaleString('en')} entries, en + ja, load + render + store (PostgreSQL ${version}, median of ${RUNS})`,
            value: median,
            unit: 'ms',
            baseline: loadMedian,
            baselineLabel: 'loading the incident alone',
            ratio: median / loadMedian,
            target: '≤ 500 ms',
          },
          { metric: `postmortem for ${ENTRIES.toLocaleString('en')} entries, worst of ${RUNS}`, value: Math.max(...generations), unit: 'ms', target: '≤ 500 ms' },
        ];
      } finally {
        await database.close();
      }
    })) ?? []
  );
}
