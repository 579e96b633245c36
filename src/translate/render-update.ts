import type { Impact, Status } from '../core/model.ts';
import type { I18n } from '../i18n.ts';

/** What a public update says, independent of language; only `bodies` holds free text. */
export interface PublicUpdateContent {
  status: Status;
  /** When it was published (or drafted, for a preview). */
  at: Date;
  components: { name: string; names: Record<string, string>; impact: Impact }[];
  sourceLang: string;
  /** Body per language; the source language's is always present. */
  bodies: Record<string, string>;
}

/**
 * The full public text of an update in one language and zone. Status, impacts, component
 * names and the time come from locale files and the catalog, never from a translator; a
 * language without a body shows the source text, labelled as the original.
 */
export function renderPublicUpdate(i18n: I18n, content: PublicUpdateContent, lang: string, zone: string): string {
  const t = i18n.t(lang);
  const lines = [
    t('translate:update.heading', { time: i18n.formatDateTime(content.at, lang, zone), status: t(`common:status.${content.status}`) }),
  ];
  if (content.components.length > 0) {
    const components = content.components.map((c) =>
      t('translate:update.component', { component: c.names[lang] ?? c.name, impact: t(`common:impact.${c.impact}`) }),
    );
    lines.push(t('translate:update.affected', { components: i18n.formatList(components, lang) }));
  }
  const body = content.bodies[lang];
  if (body !== undefined) {
    lines.push(body);
  } else {
    const language = new Intl.DisplayNames([lang], { type: 'language' }).of(content.sourceLang) ?? content.sourceLang;
    lines.push(t('translate:update.original', { language }), content.bodies[content.sourceLang] ?? '');
  }
  return lines.join('\n');
}

/** The update in every language, each in its readers' zone (`TIME_ZONES`). */
export function renderPublicUpdateAll(
  i18n: I18n,
  content: PublicUpdateContent,
  locales: readonly string[],
  timeZones: Record<string, string>,
): Record<string, string> {
  return Object.fromEntries(locales.map((lang) => [lang, renderPublicUpdate(i18n, content, lang, timeZones[lang] ?? 'UTC')]));
}
