import { eq } from 'drizzle-orm';
import { z } from 'zod';
import type { AppContext } from '../../app/context.ts';
import type { INCIDENT_PLACE_JOB } from '../../app/incident-place.ts';
import { incidentSlug } from '../../core/incident.ts';
import type { Visibility } from '../../core/model.ts';
import * as t from '../../db/schema.ts';
import type { Logger } from '../../logger.ts';
import type { ConversationParts } from './conversation-store.ts';
import { ChatTakenError } from './teams-outbox.ts';
import { TeamsPlatform } from './teams-platform.ts';

/** A turn's origin as the declaration's backstop job carries it (ConversationParts, checked). */
const conversationParts = z.object({
  serviceUrl: z.string().min(1),
  tenantId: z.string().optional(),
  botId: z.string().min(1),
  botName: z.string().optional(),
  teamId: z.string().optional(),
  channelId: z.string().optional(),
  conversationId: z.string().min(1),
}) satisfies z.ZodType<ConversationParts>;

export interface PlaceBackstopDeps {
  app: AppContext;
  logger: Logger;
  graphTeamId?: string | undefined;
  incidentsChannel?: string | undefined;
  onQueued: () => void;
}

/**
 * Opens a Teams incident's place from the conversation it was declared in, unless the
 * declaring turn already did (then this finds it and changes nothing): the `incident.place`
 * backstop, for a process that stopped between the declaration's commit and its place.
 */
export async function openPlaceFromOrigin(deps: PlaceBackstopDeps, payload: z.output<typeof INCIDENT_PLACE_JOB.payload>): Promise<void> {
  const { app, logger } = deps;
  if (payload.origin.platform !== 'teams') return;
  const parts = conversationParts.safeParse(payload.origin.conversation);
  if (!parts.success) {
    logger.warn({ incidentId: payload.incidentId, issues: parts.error.issues }, 'a declaration’s Teams origin is unreadable; its place is not opened');
    return;
  }
  const [incident] = await app.db
    .select({ number: t.incident.number, title: t.incident.title, visibility: t.incident.visibility })
    .from(t.incident)
    .where(eq(t.incident.id, payload.incidentId));
  if (!incident) return;
  const platform = new TeamsPlatform({ db: app.db, clock: app.clock, newId: app.newId, logger, graphTeamId: deps.graphTeamId, incidentsChannel: deps.incidentsChannel, origin: parts.data, onQueued: deps.onQueued });
  const slug = incidentSlug(incident.number, incident.title);
  try {
    await platform.openIncidentChannel({ number: incident.number, title: incident.title, slug, topic: slug, visibility: incident.visibility as Visibility });
  } catch (e) {
    // A chat hosts one incident: the declaration stands, without a place of its own in Teams.
    if (!(e instanceof ChatTakenError)) throw e;
  }
}
