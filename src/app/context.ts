import { randomUUID } from 'node:crypto';
import type { Clock } from '../core/clock.ts';
import type { Db } from '../db/client.ts';
import type { I18n } from '../i18n.ts';
import type { TranslationService } from '../translate/translation-service.ts';

/** What every use case may depend on; built once in the composition root. */
export interface AppContext {
  db: Db;
  clock: Clock;
  newId: () => string;
  settings: AppSettings;
  /** Renders stored documents (postmortem drafts) in every language. */
  i18n: I18n;
  /** Machine translation of public updates; absent with TRANSLATOR=none (people type every language). */
  translator?: TranslationService;
}

/** The subset of Config the use cases read. */
export interface AppSettings {
  locales: string[];
  teamTimeZone: string;
  publishApproval: 'preview' | 'required' | 'off';
  updateReminderMinutes: number;
  /** When true, components must exist in the catalog (COMPONENTS_FILE); otherwise they are created on first use. */
  strictComponents: boolean;
  /** Zone each language reads times in. */
  timeZones: Record<string, string>;
  publicUrl: string;
  /** TRANSLATION_WAIT_SECONDS: how long a language's deliveries wait for its translation; 30 when unset. */
  translationWaitSeconds?: number;
  /** MAINTENANCE_REMINDER_MINUTES: how long before a maintenance starts subscribers are reminded; 60 when unset. */
  maintenanceReminderMinutes?: number;
}

export function createAppContext(db: Db, clock: Clock, settings: AppSettings, i18n: I18n, translator?: TranslationService): AppContext {
  return { db, clock, newId: randomUUID, settings, i18n, ...(translator ? { translator } : {}) };
}
