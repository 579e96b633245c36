import { randomUUID } from 'node:crypto';
import { and, count, eq } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import { expect } from 'vitest';
import type { CommandMeta } from '../../src/app/command-runner.ts';
import { type AppContext, type AppSettings, createAppContext } from '../../src/app/context.ts';
import { type DeclareInput, declareIncident } from '../../src/app/declare-incident.ts';
import { ManualClock } from '../../src/core/clock.ts';
import type { ErrorCode } from '../../src/core/errors.ts';
import { DomainError } from '../../src/core/errors.ts';
import type { IncidentSnapshot } from '../../src/core/incident.ts';
import type { Actor } from '../../src/core/model.ts';
import type { Db } from '../../src/db/client.ts';
import { loadSnapshot } from '../../src/db/incident-repository.ts';
import * as t from '../../src/db/schema.ts';
import { createI18n, type I18n } from '../../src/i18n.ts';
import { loadConfig } from '../../src/config.ts';
import { appSettingsFor } from '../../src/runtime.ts';

/** The instant every test clock starts at: 2026-02-27 00:00 in Japan. */
export const T0 = new Date('2026-02-26T15:00:00Z');

export const MINUTE = 60_000;

/** The settings the suite runs under unless a test overrides some. */
export const baseSettings: AppSettings = appSettingsFor(loadConfig({ LOCALES: 'en,ja', TEAM_TIME_ZONE: 'Asia/Tokyo' }));

let sharedI18n: I18n | undefined;

/** One i18n instance per test file: building it reads every locale file. */
export function testI18n(): I18n {
  return (sharedI18n ??= createI18n(['en', 'ja']));
}

/** A use-case context over `db` with its own clock, so tests moving time do not disturb each other. */
export function makeContext(db: Db, settings: Partial<AppSettings> = {}, start: Date = T0): { ctx: AppContext; clock: ManualClock } {
  const clock = new ManualClock(start);
  return { ctx: createAppContext(db, clock, { ...baseSettings, ...settings }, testI18n()), clock };
}

/** A chat user with a unique id, so a test's people never collide with another test's. */
export function person(name: string, lang: 'en' | 'ja' = 'en'): Actor {
  return { platform: 'console', id: `${name.toLowerCase()}-${randomUUID().slice(0, 8)}`, name, lang };
}

export function metaOf(actor: Actor, extra: Omit<CommandMeta, 'actor'> = {}): CommandMeta {
  return { actor, ...extra };
}

/** A fresh idempotency key; the database is shared by a whole file, so keys must never repeat. */
export function newKey(): string {
  return `test-${randomUUID()}`;
}

/** Declares an incident for a test and returns its id and number. */
export async function declare(
  ctx: AppContext,
  actor: Actor,
  input: Partial<DeclareInput> = {},
): Promise<{ incidentId: string; number: number }> {
  const { outcome } = await declareIncident(ctx, metaOf(actor), { title: 'API errors in EU', ...input });
  return { incidentId: outcome.incidentId, number: outcome.number };
}

/** The incident as the core sees it; fails the test when it does not exist. */
export async function snapshot(db: Db, incidentId: string): Promise<IncidentSnapshot> {
  const incident = await loadSnapshot(db, incidentId);
  if (!incident) throw new Error(`incident ${incidentId} not found`);
  return incident;
}

/** Rows of a table, optionally only those of one incident (tables with an `incident_id`). */
export async function countRows(db: Db, table: PgTable, incidentId?: string): Promise<number> {
  const column = (table as unknown as { incidentId?: typeof t.timelineEntry.incidentId }).incidentId;
  const where = incidentId && column ? eq(column, incidentId) : undefined;
  const [row] = await db.select({ n: count() }).from(table).where(where);
  return Number(row?.n ?? 0);
}

/** Every table a write may touch, counted; compare before and after to prove nothing was written. */
export async function countEverything(db: Db): Promise<Record<string, number>> {
  const tables = {
    incident: t.incident,
    timeline_entry: t.timelineEntry,
    audit_event: t.auditEvent,
    key_moment: t.keyMoment,
    incident_component: t.incidentComponent,
    component: t.component,
    incident_role: t.incidentRole,
    responder: t.responder,
    public_update: t.publicUpdate,
    public_update_translation: t.publicUpdateTranslation,
    postmortem: t.postmortem,
    command_receipt: t.commandReceipt,
    chat_ref: t.chatRef,
  } satisfies Record<string, PgTable>;
  const counts: Record<string, number> = {};
  for (const [name, table] of Object.entries(tables)) counts[name] = await countRows(db, table);
  return counts;
}

/** Timeline entries of one kind in an incident. */
export async function countEntries(db: Db, incidentId: string, kind: string): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(t.timelineEntry)
    .where(and(eq(t.timelineEntry.incidentId, incidentId), eq(t.timelineEntry.kind, kind)));
  return Number(row?.n ?? 0);
}

/** Awaits a use case that must fail with a DomainError of the given code, and returns the error. */
export async function expectDomainError(work: Promise<unknown>, code: ErrorCode): Promise<DomainError> {
  const error = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, `expected DomainError ${code}`).toBeInstanceOf(DomainError);
  expect((error as DomainError).code).toBe(code);
  return error as DomainError;
}
