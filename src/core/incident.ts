import type { EntryKind, Impact, KeyMoment, Severity, Status, TranslationOrigin, Visibility } from './model.ts';

/** One timeline entry as the core reads it. */
export interface TimelineEntry {
  id: string;
  /** Insertion order; breaks ties between entries with the same occurredAt. */
  seq: number;
  kind: EntryKind;
  authorId: string;
  authorName: string;
  occurredAt: Date;
  recordedAt: Date;
  text: string | null;
  sourceLang: string | null;
  data: Record<string, unknown>;
}

export interface AffectedComponent {
  id: string;
  name: string;
  names: Record<string, string>;
  impact: Impact;
  since: Date;
}

export interface RoleHolder {
  role: string;
  userId: string;
  userName: string;
}

export interface ActionItem {
  id: string;
  text: string;
  ownerId: string | null;
  ownerName: string | null;
  done: boolean;
  createdAt: Date;
}

export interface PublicUpdateView {
  id: string;
  status: Status;
  body: string;
  sourceLang: string;
  state: 'draft' | 'published' | 'cancelled';
  authorId: string;
  createdAt: Date;
  publishedAt: Date | null;
  translations: { lang: string; body: string; origin: TranslationOrigin }[];
}

/** Everything known about one incident, read in one go; the input of every pure rule and renderer. */
export interface IncidentSnapshot {
  id: string;
  number: number;
  title: string;
  summary: string | null;
  severity: Severity;
  status: Status;
  visibility: Visibility;
  declaredBy: { id: string; name: string };
  sourceLang: string;
  remindMinutes: number | null;
  createdAt: Date;
  updatedAt: Date;
  upstream: Record<string, unknown> | null;
  components: AffectedComponent[];
  roles: RoleHolder[];
  responderIds: string[];
  moments: Partial<Record<KeyMoment, Date>>;
  entries: TimelineEntry[];
  actions: ActionItem[];
  publicUpdates: PublicUpdateView[];
}

/** An incident without its growing parts (timeline, actions, public updates, components): what a write needs to authorize. */
export type IncidentHead = Omit<IncidentSnapshot, 'components' | 'entries' | 'actions' | 'publicUpdates'>;

/** Component name in a language, falling back to its source name. */
export function componentName(component: { name: string; names: Record<string, string> }, lang: string): string {
  return component.names[lang] ?? component.name;
}

/** The latest published public update, if any. */
export function lastPublicUpdate(incident: IncidentSnapshot): PublicUpdateView | undefined {
  return incident.publicUpdates
    .filter((u) => u.state === 'published' && u.publishedAt)
    .sort((a, b) => b.publishedAt!.getTime() - a.publishedAt!.getTime())[0];
}

/**
 * Whether the actor may see and change the incident: the declarer, anyone holding a role,
 * anyone who has acted in it, or anyone speaking in its own channel (membership there is
 * how chat platforms already decide who is on the incident).
 */
export function isResponder(incident: Pick<IncidentSnapshot, 'declaredBy' | 'roles' | 'responderIds'>, actorId: string, inIncidentChannel: boolean): boolean {
  return (
    inIncidentChannel ||
    incident.declaredBy.id === actorId ||
    incident.roles.some((r) => r.userId === actorId) ||
    incident.responderIds.includes(actorId)
  );
}

/** `inc-42-api-errors-in-eu`: lowercase ASCII words of the title, trimmed to fit chat channel-name limits. */
export function incidentSlug(number: number, title: string, maxLength = 80): string {
  const prefix = `inc-${number}`;
  const words = title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (!words) return prefix;
  const room = maxLength - prefix.length - 1;
  const trimmed = words.slice(0, room).replace(/-+[^-]*$/, (m) => (words.length > room ? '' : m)).replace(/-+$/, '');
  return trimmed ? `${prefix}-${trimmed}` : prefix;
}
