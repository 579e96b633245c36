import { IANAZone } from 'luxon';
import { z } from 'zod';
import { ERROR_CODES } from '../core/errors.ts';
import { IMPACTS, KEY_MOMENTS, MAX_TEXT_LENGTH, MAX_TITLE_LENGTH, SEVERITIES, STATUSES, TRANSLATION_ORIGINS, VISIBILITIES } from '../core/model.ts';

/**
 * The REST API's shapes. Request schemas validate what arrives and, through z.toJSONSchema,
 * are the OpenAPI document's schemas: one definition, no hand-written copy. Response schemas
 * only describe (tests check answers against the document).
 */

const COMPONENT_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** `{number}` in a path: the incident's number, `42` or `INC-42`. */
export const IncidentNumberParams = z.object({
  number: z
    .string()
    .regex(/^(?:INC-)?[1-9]\d{0,8}$/i)
    .meta({ description: 'The incident number: `42` or `INC-42`.', examples: ['42', 'INC-42'] }),
});

/** An incident number from its path parameter, once validated. */
export function incidentNumberOf(raw: string): number {
  return Number(raw.replace(/^INC-/i, ''));
}

export const ListIncidentsQuery = z
  .object({
    status: z
      .string()
      .regex(new RegExp(`^(?:${STATUSES.join('|')})(?:,(?:${STATUSES.join('|')}))*$`))
      .optional()
      .meta({ description: `Only incidents in these statuses, comma-separated (${STATUSES.join(', ')}).` }),
    open: z.enum(['true', 'false']).optional().meta({ description: '`true`: only incidents not resolved or closed; `false`: only resolved or closed ones.' }),
    limit: z.coerce.number().int().min(1).max(100).optional().meta({ description: 'Page size, 1-100; 20 by default.' }),
    before: z.coerce
      .number()
      .int()
      .min(1)
      .max(999_999_999)
      .optional()
      .meta({ description: 'Only incidents numbered below this: the `next` link of the previous page sets it.' }),
  })
  .strict();

export const DeclareIncidentBody = z
  .object({
    title: z.string().trim().min(1).max(MAX_TITLE_LENGTH).meta({ description: 'What is happening, as people will read it.' }),
    severity: z
      .union([z.int().min(1).max(4), z.enum(SEVERITIES)])
      .optional()
      .meta({ description: '1-4 or SEV1-SEV4; SEV3 by default.' }),
    components: z
      .array(z.string().regex(COMPONENT_ID))
      .max(50)
      .optional()
      .meta({ description: 'Affected component ids (as in COMPONENTS_FILE); each gets partial_outage until set otherwise.' }),
    summary: z.string().max(MAX_TEXT_LENGTH).optional(),
    private: z.boolean().optional().meta({ description: 'True: visible to responders only, never on the status page; false by default.' }),
    started: z.iso.datetime({ offset: true }).optional().meta({ description: 'When the impact began (ISO 8601 with an offset); not in the future.' }),
  })
  .strict();

export const TimeZone = z
  .string()
  .max(64)
  .refine((zone) => IANAZone.isValidZone(zone), { params: { reason: 'time_zone' } })
  .meta({ description: 'IANA zone a bare `HH:MM` in the text is read in; TEAM_TIME_ZONE by default.', examples: ['Asia/Tokyo'] });

export const CommandBody = z
  .object({
    text: z
      .string()
      .min(1)
      .max(MAX_TEXT_LENGTH + 200)
      .meta({ description: 'One command in the chat command language, without `/incident`: `status identified DB failover`, `note at 22:25 …`.', examples: ['status identified Failover done'] }),
    timeZone: TimeZone.optional(),
  })
  .strict();

export const IdempotencyHeaders = z.object({
  'idempotency-key': z
    .string()
    .min(1)
    .max(255)
    .regex(/^[\x21-\x7e]+$/)
    .optional()
    .meta({ description: 'A retried POST with the same key and body gets the first answer again (`Idempotency-Replayed: true`).' }),
});

const Instant = z.iso.datetime({ offset: true });

export const ComponentView = z.object({ id: z.string(), name: z.string(), impact: z.enum(IMPACTS), since: Instant });
export const RoleView = z.object({ role: z.string(), userId: z.string(), userName: z.string() });
export const PublicUpdateView = z.object({
  id: z.string(),
  status: z.enum(STATUSES),
  state: z.enum(['draft', 'published', 'cancelled']),
  body: z.string(),
  sourceLang: z.string(),
  createdAt: Instant,
  publishedAt: Instant.nullable(),
  translations: z.array(z.object({ lang: z.string(), body: z.string(), origin: z.enum(TRANSLATION_ORIGINS) })),
});

export const IncidentSummary = z.object({
  number: z.int(),
  ref: z.string().meta({ examples: ['INC-42'] }),
  title: z.string(),
  severity: z.enum(SEVERITIES),
  status: z.enum(STATUSES),
  visibility: z.enum(VISIBILITIES),
  createdAt: Instant,
  updatedAt: Instant,
  components: z.array(ComponentView),
  url: z.string().meta({ description: 'This incident in the API.' }),
});

export const Incident = IncidentSummary.extend({
  summary: z.string().nullable(),
  declaredBy: z.object({ id: z.string(), name: z.string() }),
  moments: z.partialRecord(z.enum(KEY_MOMENTS), Instant),
  roles: z.array(RoleView),
  actions: z.array(z.object({ id: z.string(), text: z.string(), ownerName: z.string().nullable(), done: z.boolean() })),
  publicUpdates: z.array(PublicUpdateView),
  timeline: z.array(
    z.object({
      kind: z.string(),
      occurredAt: Instant,
      recordedAt: Instant,
      authorName: z.string(),
      text: z.string().nullable(),
      data: z.record(z.string(), z.unknown()),
    }),
  ),
});

export const IncidentList = z.object({
  incidents: z.array(IncidentSummary),
  next: z.string().nullable().meta({ description: 'The next page, or null on the last one.' }),
});

/** What chat would have answered, as text in the caller's language. */
export const ReplyMessage = z.object({
  text: z.string(),
  title: z.string().optional(),
  lines: z.array(z.string()).optional(),
  fields: z.array(z.object({ label: z.string(), value: z.string() })).optional(),
  links: z.array(z.object({ label: z.string(), url: z.string() })).optional(),
});

export const CommandResult = z.object({
  verb: z.string(),
  replayed: z.boolean().meta({ description: 'True when a command with the same receipt had already been recorded: nothing new was.' }),
  message: ReplyMessage,
  publicUpdate: PublicUpdateView.optional().meta({ description: 'The public update the command drafted (or published, with PUBLISH_APPROVAL=off).' }),
  incident: Incident,
});

export const Postmortem = z.object({
  number: z.int(),
  ref: z.string(),
  lang: z.string().meta({ description: 'The language `markdown` is in (Accept-Language or ?lang=).' }),
  markdown: z.string(),
  generatedAt: Instant,
  languages: z.array(z.object({ lang: z.string(), markdown: z.string(), generatedAt: Instant })),
});

export const Problem = z.object({
  type: z.string(),
  title: z.string(),
  status: z.int(),
  detail: z.string(),
  instance: z.string(),
  code: z.enum([...ERROR_CODES, 'unauthorized', 'not_found', 'validation', 'bad_json', 'unsupported_media_type', 'body_too_large', 'not_acceptable', 'verb_not_for_incident', 'incident_mismatch', 'idempotency_mismatch', 'idempotency_in_progress', 'no_postmortem', 'internal']),
  usage: z.string().optional().meta({ description: 'How the verb is written, when a command was refused.' }),
  errors: z
    .array(z.object({ field: z.string(), in: z.enum(['body', 'query', 'path', 'header']), detail: z.string() }))
    .optional()
    .meta({ description: 'Each field that failed validation.' }),
  reference: z.string().optional(),
});
export type Problem = z.infer<typeof Problem>;
export type ProblemCode = Problem['code'];
