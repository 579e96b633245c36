import { type AppContext, type AppSettings, createAppContext } from './app/context.ts';
import { type ComponentsFile, readComponentsFile, syncComponents } from './app/components.ts';
import { ChatPlatforms } from './chat/platforms.ts';
import type { Config } from './config.ts';
import { type Clock, systemClock } from './core/clock.ts';
import { type Database, openDatabase } from './db/client.ts';
import { createI18n, type I18n } from './i18n.ts';
import { createLogger, type Logger } from './logger.ts';
import { createJobRunner, type JobRunner } from './outbox/job-runner.ts';
import { createTranslationService } from './translate/create-translator.ts';
import { buildGlossary } from './translate/glossary.ts';
import type { TranslationService } from './translate/translation-service.ts';

/** Everything a front end needs, opened once: database (migrated), words, use-case context. */
export interface Runtime {
  config: Config;
  database: Database;
  i18n: I18n;
  app: AppContext;
  /** The configured machine translator (masking, cache, timeout); undefined with TRANSLATOR=none. */
  translator?: TranslationService | undefined;
  /** The chat platforms server parts registered (Slack, Teams); read it with `chatPlatformsOf`. */
  chat?: ChatPlatforms | undefined;
  /** The process's one job worker; parts register the job types they handle. */
  jobs: JobRunner;
  close(): Promise<void>;
}

/** What a caller may supply instead of what the config would open or build (tests, benchmarks, the demo). */
export interface RuntimeOverrides {
  clock?: Clock;
  /** Use an in-memory PGlite instead of the configured database (demo --memory). */
  inMemory?: boolean;
  /** An opened, migrated database the caller owns: used as is, and left open by `close()`. */
  database?: Database;
  /** Locale files already loaded (tests share one instance per file). */
  i18n?: I18n;
  /** Laid over the settings the config gives the use cases. */
  settings?: Partial<AppSettings>;
  /** Used instead of the translator TRANSLATOR configures. */
  translator?: TranslationService;
  /** A use-case context the caller built (e.g. one whose writes fail); `clock`, `settings` and `translator` are then its own. */
  app?: AppContext;
  /** Where background work (the job runner) logs; one at LOG_LEVEL otherwise. */
  logger?: Logger;
  /** How often the job runner looks for due jobs when nothing kicked it (tests); 1 s by default. */
  jobPollMs?: number;
}

/** The settings use cases read, from the validated config. */
export function appSettingsFor(config: Config, options: { strictComponents?: boolean } = {}): AppSettings {
  return {
    locales: config.locales,
    teamTimeZone: config.teamTimeZone,
    timeZones: config.timeZones,
    publishApproval: config.publishApproval,
    updateReminderMinutes: config.updateReminderMinutes,
    strictComponents: options.strictComponents ?? false,
    publicUrl: config.publicUrl,
    translationWaitSeconds: config.translationWaitSeconds,
    maintenanceReminderMinutes: config.maintenanceReminderMinutes,
  };
}

/**
 * Opens the database (or takes `overrides.database`), applies migrations, loads locale files
 * and syncs the component catalog; `close()` closes only a database it opened.
 */
export async function openRuntime(config: Config, overrides: RuntimeOverrides = {}): Promise<Runtime> {
  // Locale files and the catalog are read first: a mistake in them fails before a database is opened.
  const i18n = overrides.i18n ?? overrides.app?.i18n ?? createI18n(config.locales);
  const catalog = config.componentsFile ? readComponentsFile(config.componentsFile) : undefined;
  const owned = overrides.database === undefined;
  const database =
    overrides.database ??
    (await openDatabase(overrides.inMemory ? {} : { ...(config.databaseUrl ? { url: config.databaseUrl } : { dataDir: config.dataDir }) }));
  const clock = overrides.app?.clock ?? overrides.clock ?? systemClock;
  try {
    if (catalog) await syncComponents(database.db, catalog, clock.now());
  } catch (e) {
    if (owned) await database.close();
    throw e;
  }
  return assemble(config, database, { ...overrides, i18n }, catalog, owned ? () => database.close() : async () => {});
}

/**
 * The runtime over a database the caller opened and keeps (`close()` leaves it open), built
 * without waiting: for callers that cannot await. COMPONENTS_FILE is not synced: openRuntime does that.
 */
export function createRuntime(config: Config, database: Database, overrides: Omit<RuntimeOverrides, 'database' | 'inMemory'> = {}): Runtime {
  return assemble(config, database, overrides, undefined, async () => {});
}

function assemble(config: Config, database: Database, overrides: RuntimeOverrides, catalog: ComponentsFile | undefined, close: () => Promise<void>): Runtime {
  const i18n = overrides.i18n ?? overrides.app?.i18n ?? createI18n(config.locales);
  const translator = overrides.app ? overrides.app.translator : (overrides.translator ?? createTranslationService(config.translator, buildGlossary(catalog)));
  const app =
    overrides.app ??
    createAppContext(
      database.db,
      overrides.clock ?? systemClock,
      { ...appSettingsFor(config, { strictComponents: Boolean(catalog && catalog.components.length > 0) }), ...overrides.settings },
      i18n,
      translator,
    );
  const jobs = createJobRunner({
    db: database.db,
    database,
    clock: app.clock,
    logger: (overrides.logger ?? createLogger({ level: config.logLevel })).child({ part: 'jobs' }),
    ...(overrides.jobPollMs ? { pollMs: overrides.jobPollMs } : {}),
  });
  return { config, database, i18n, app, translator, chat: new ChatPlatforms(), jobs, close };
}
