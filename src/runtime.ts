import { type AppContext, type AppSettings, createAppContext } from './app/context.ts';
import { readComponentsFile, syncComponents } from './app/components.ts';
import { ChatPlatforms } from './chat/platforms.ts';
import type { Config } from './config.ts';
import { type Clock, systemClock } from './core/clock.ts';
import { type Database, openDatabase } from './db/client.ts';
import { createI18n, type I18n } from './i18n.ts';
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
  close(): Promise<void>;
}

export interface RuntimeOptions {
  clock?: Clock;
  /** Use an in-memory PGlite instead of the configured database (demo --memory, tests). */
  inMemory?: boolean;
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
  };
}

/** Opens the database, applies migrations, loads locale files and the component catalog. */
export async function openRuntime(config: Config, options: RuntimeOptions = {}): Promise<Runtime> {
  const i18n = createI18n(config.locales);
  const catalog = config.componentsFile ? readComponentsFile(config.componentsFile) : undefined;
  const database = await openDatabase(
    options.inMemory ? {} : { ...(config.databaseUrl ? { url: config.databaseUrl } : { dataDir: config.dataDir }) },
  );
  const clock = options.clock ?? systemClock;
  try {
    if (catalog) await syncComponents(database.db, catalog, clock.now());
  } catch (e) {
    await database.close();
    throw e;
  }
  const translator = createTranslationService(config.translator, buildGlossary(catalog));
  const app = createAppContext(
    database.db,
    clock,
    appSettingsFor(config, { strictComponents: Boolean(catalog && catalog.components.length > 0) }),
    i18n,
    translator,
  );
  return { config, database, i18n, app, translator, chat: new ChatPlatforms(), close: () => database.close() };
}
