import type { Verb } from '../core/command.ts';
import { VERBS } from '../core/command.ts';
import { type IncidentSnapshot, componentName, lastPublicUpdate, type PublicUpdateView } from '../core/incident.ts';
import { formatIncidentRef } from '../core/model.ts';
import { impactDuration, nextUpdateDue } from '../core/timeline.ts';
import type { I18n } from '../i18n.ts';
import type { NeutralMessage } from './message.ts';

/** What renderers need besides the data: words, the reader's zone, the cadence default. */
export interface RenderContext {
  i18n: I18n;
  lang: string;
  zone: string;
  now: Date;
  defaultReminderMinutes: number;
}

function when(rc: RenderContext, at: Date): string {
  return rc.i18n.formatDateTime(at, rc.lang, rc.zone);
}

/** Usage of one verb, or the whole command list. */
export function renderHelp(rc: RenderContext, topic?: Verb): NeutralMessage {
  const t = rc.i18n.t(rc.lang);
  if (topic) {
    const usage = t(`usage.${topic}`);
    return { text: usage, lines: [usage] };
  }
  const lines = VERBS.map((verb) => t(`usage.${verb}`));
  return {
    text: t('help.title'),
    title: t('help.title'),
    lines: [t('help.intro'), ...lines, t('help.footer', { zone: rc.zone })],
  };
}

/** The fields shared by the live header and the manager summary. */
function incidentFields(rc: RenderContext, incident: IncidentSnapshot): { label: string; value: string }[] {
  const t = rc.i18n.t(rc.lang);
  const last = lastPublicUpdate(incident);
  const due = nextUpdateDue(incident, rc.defaultReminderMinutes);
  const components = incident.components.map((c) =>
    t('header.componentImpact', { component: componentName(c, rc.lang), impact: t(`common:impact.${c.impact}`) }),
  );
  const roles = incident.roles.map((r) =>
    t('header.roleHolder', { role: t(`common:role.${r.role}`, { defaultValue: r.role }), user: r.userName }),
  );
  const openActions = incident.actions.filter((a) => !a.done).length;
  const fields = [
    { label: t('header.status'), value: t(`common:status.${incident.status}`) },
    { label: t('header.severity'), value: t(`common:severity.${incident.severity}`) },
    { label: t('header.visibility'), value: t(`common:visibility.${incident.visibility}`) },
    { label: t('header.components'), value: components.length ? rc.i18n.formatList(components, rc.lang) : t('header.noComponents') },
    { label: t('header.roles'), value: rc.i18n.formatList(roles, rc.lang) },
  ];
  if (incident.moments.started) fields.push({ label: t('header.started'), value: when(rc, incident.moments.started) });
  if (incident.moments.declared) fields.push({ label: t('header.declared'), value: when(rc, incident.moments.declared) });
  fields.push({ label: t('header.duration'), value: rc.i18n.formatDuration(impactDuration(incident, rc.now), rc.lang) });
  fields.push({
    label: t('header.lastUpdate'),
    value: last?.publishedAt
      ? t('header.lastUpdateValue', { time: when(rc, last.publishedAt), body: bodyIn(last, rc.lang) })
      : t('header.noUpdate'),
  });
  if (incident.visibility === 'public') {
    fields.push({
      label: t('header.nextUpdate'),
      value: !due ? t('header.noNextUpdate') : due < rc.now ? t('header.overdue', { time: when(rc, due) }) : when(rc, due),
    });
  }
  fields.push({ label: t('header.actions'), value: String(openActions) });
  return fields;
}

/** The update's text in a language, falling back to its source text. */
export function bodyIn(update: PublicUpdateView, lang: string): string {
  return update.translations.find((tr) => tr.lang === lang)?.body ?? update.body;
}

/** The live header posted in the incident channel and edited in place on every change. */
export function renderHeader(rc: RenderContext, incident: IncidentSnapshot): NeutralMessage {
  const t = rc.i18n.t(rc.lang);
  const title = t('header.title', { ref: formatIncidentRef(incident.number), title: incident.title });
  return { text: title, title, fields: incidentFields(rc, incident), ...(incident.summary ? { lines: [incident.summary] } : {}) };
}

/** `summary`: what a manager needs at a glance. */
export function renderSummary(rc: RenderContext, incident: IncidentSnapshot): NeutralMessage {
  const t = rc.i18n.t(rc.lang);
  const title = t('summary.title', { ref: formatIncidentRef(incident.number), title: incident.title });
  const open = incident.actions.filter((a) => !a.done).map((a) => (a.ownerName ? `${a.text} (@${a.ownerName})` : a.text));
  return {
    text: title,
    title,
    lines: [t('summary.asOf', { time: when(rc, rc.now) }), ...(incident.summary ? [incident.summary] : []), ...open.map((a) => `• ${a}`)],
    fields: incidentFields(rc, incident),
  };
}

/** `list`: one line per open incident. */
export function renderList(rc: RenderContext, incidents: IncidentSnapshot[]): NeutralMessage {
  const t = rc.i18n.t(rc.lang);
  if (incidents.length === 0) return { text: t('list.empty'), lines: [t('list.empty')] };
  const title = t('list.title', { count: incidents.length });
  const lines = incidents.map((incident) =>
    t('list.item', {
      ref: formatIncidentRef(incident.number),
      severity: incident.severity,
      status: t(`common:status.${incident.status}`),
      title: incident.title,
      duration: rc.i18n.formatDuration(impactDuration(incident, rc.now), rc.lang),
      components: rc.i18n.formatList(
        incident.components.map((c) => `${componentName(c, rc.lang)} (${t(`common:impact.${c.impact}`)})`),
        rc.lang,
      ),
    }),
  );
  return { text: title, title, lines };
}

/** The preview of a public update with every configured language and the review buttons. */
export function renderPreview(
  rc: RenderContext,
  incident: Pick<IncidentSnapshot, 'number'>,
  update: PublicUpdateView,
  locales: readonly string[],
  options: { canRetryTranslation?: boolean } = {},
): NeutralMessage {
  const t = rc.i18n.t(rc.lang);
  const title = t('preview.title', { ref: formatIncidentRef(incident.number), status: t(`common:status.${update.status}`) });
  const lines: string[] = [];
  for (const lang of locales) {
    const translation = update.translations.find((tr) => tr.lang === lang);
    if (translation) {
      lines.push(`${t('preview.language', { lang, origin: t(`preview.origin.${translation.origin}`) })}\n${translation.body}`);
    } else {
      lines.push(t('preview.missing', { lang }));
    }
  }
  const actions =
    update.state === 'draft'
      ? [
          { id: 'publish_update' as const, label: t('preview.publish'), value: update.id, style: 'primary' as const },
          { id: 'edit_translation' as const, label: t('preview.edit'), value: update.id },
          // Only where a translator exists and a language is still missing (it failed or timed out).
          ...(options.canRetryTranslation && locales.some((l) => !update.translations.some((tr) => tr.lang === l))
            ? [{ id: 'retry_translation' as const, label: t('preview.retry'), value: update.id }]
            : []),
          { id: 'cancel_update' as const, label: t('preview.cancel'), value: update.id, style: 'danger' as const },
        ]
      : [];
  return { text: title, title, lines, actions };
}
