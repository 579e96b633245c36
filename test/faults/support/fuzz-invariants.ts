import { count, getTableName, is, sql } from 'drizzle-orm';
import { PgTable } from 'drizzle-orm/pg-core';
import type { Db } from '../../../src/db/client.ts';
import { rowsOf } from '../../../src/db/client.ts';
import * as t from '../../../src/db/schema.ts';

/** Every table of the schema, by its SQL name (read from the schema module, so a new table is counted too). */
export const ALL_TABLES: Record<string, PgTable> = Object.fromEntries(
  (Object.values(t) as unknown[])
    .filter((value): value is PgTable => is(value, PgTable))
    .map((table) => [getTableName(table), table]),
);

/**
 * Where the transport keeps its own books, not the record: every verified Slack request is
 * stored in `inbox` before it is acknowledged (one refused by the use case too: refusing it
 * is its processing), and `worker` is a process's liveness.
 */
const TRANSPORT_TABLES = new Set(['inbox', 'worker']);

/**
 * Row counts of every table; compare two to prove a request wrote nothing anywhere. With
 * `recordOnly`, the transport's tables are left out: for requests that pass verification.
 */
export async function countAllTables(db: Db, options: { recordOnly?: boolean } = {}): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const [name, table] of Object.entries(ALL_TABLES)) {
    if (options.recordOnly && TRANSPORT_TABLES.has(name)) continue;
    const [row] = await db.select({ n: count() }).from(table);
    counts[name] = Number(row?.n ?? 0);
  }
  return counts;
}

/**
 * Ways the database could be half-written; each query returns the offending rows (empty when
 * consistent). Commands write their rows, their receipt and their audit event in one
 * transaction, at one `now`: anything else is a write that escaped it.
 */
const CHECKS: Record<string, string> = {
  'timeline entry without an audit event of its command': `
    select e.id, e.kind from timeline_entry e
    where not exists (select 1 from audit_event a where a.incident_id = e.incident_id and a.at = e.recorded_at)`,
  'incident without its declared entry': `
    select i.number from incident i
    where not exists (select 1 from timeline_entry e where e.incident_id = i.id and e.kind = 'declared')`,
  'incident without its declared key moment': `
    select i.number from incident i
    where not exists (select 1 from key_moment m where m.incident_id = i.id and m.kind = 'declared')`,
  'incident without a responder': `
    select i.number from incident i where not exists (select 1 from responder r where r.incident_id = i.id)`,
  'incident without its declare audit event': `
    select i.number from incident i
    where not exists (select 1 from audit_event a where a.incident_id = i.id and a.action = 'declare')`,
  'command receipt whose result was never written': `
    select c.key, c.verb from command_receipt c
    where c.result = '{}'::jsonb and not exists (select 1 from audit_event a where a.at = c.created_at and a.action = c.verb)`,
  'published update without its timeline entry': `
    select u.id from public_update u
    where u.state = 'published'
      and not exists (select 1 from timeline_entry e where e.kind = 'public_update' and e.data->>'updateId' = u.id::text)`,
  'public_update entry without a published update': `
    select e.id from timeline_entry e
    where e.kind = 'public_update'
      and not exists (select 1 from public_update u where u.id::text = e.data->>'updateId' and u.state = 'published')`,
  'closed incident without a postmortem draft': `
    select i.number from incident i
    where i.status = 'closed' and not exists (select 1 from postmortem p where p.incident_id = i.id)`,
};

/** Every inconsistency found, as `check: rows`; an empty list means the database is consistent. */
export async function inconsistencies(db: Db): Promise<string[]> {
  const found: string[] = [];
  for (const [name, query] of Object.entries(CHECKS)) {
    const rows = rowsOf<Record<string, unknown>>(await db.execute(sql.raw(query)));
    if (rows.length > 0) found.push(`${name}: ${JSON.stringify(rows.slice(0, 5))}`);
  }
  return found;
}
