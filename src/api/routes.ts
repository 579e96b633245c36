import { z } from 'zod';
import { readPostmortemDrafts } from '../app/generate-postmortem.ts';
import { INCIDENT_VERBS, type Command } from '../core/command.ts';
import { parseCommand } from '../core/command-parser.ts';
import { formatIncidentRef, severityFromNumber, storable } from '../core/model.ts';
import { findIncidentIdByNumber, loadPublicUpdate, loadSnapshot } from '../db/incident-repository.ts';
import { incidentJson, incidentPath, listIncidents, publicUpdateJson } from './incidents.ts';
import { ApiProblem } from './problem.ts';
import type { ApiRequest, RouteSpec } from './route.ts';
import { route } from './route.ts';
import { type ApiCommandDeps, apiActor, runApiCommand } from './run-command.ts';
import {
  CommandBody,
  CommandResult,
  DeclareIncidentBody,
  Incident,
  IncidentList,
  IncidentNumberParams,
  incidentNumberOf,
  ListIncidentsQuery,
  Postmortem,
  Problem,
} from './schemas.ts';

const problem = (description: string) => ({ description, schema: Problem });

/** Answers every route may give besides its own. */
export const COMMON_RESPONSES = {
  400: problem('The request is not valid: each bad field is listed in `errors`.'),
  401: problem('No token, or an unknown or revoked one.'),
  500: problem('Something failed on our side: nothing was recorded; `reference` is in the log.'),
  503: problem('The database did not answer: nothing was recorded.'),
};

const IDEMPOTENCY_RESPONSES = {
  409: problem('The incident is not in a state that allows it, or the first request with this Idempotency-Key is still running (`Retry-After`).'),
  422: problem('This Idempotency-Key was used with another request.'),
};

/** The incident of a path's number, or a 404 problem. */
async function incidentIdOf(deps: ApiCommandDeps, raw: string): Promise<{ id: string; number: number }> {
  const number = incidentNumberOf(raw);
  const id = await findIncidentIdByNumber(deps.app.db, number);
  if (!id) throw new ApiProblem(404, 'not_found', { path: incidentPath(number) });
  return { id, number };
}

/** Counts a command as chat's are counted (`commands_total`, platform `api`), refused ones included. */
async function counted<T>(deps: ApiCommandDeps, verb: () => string, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    const result = await work();
    deps.metrics?.commandsTotal.inc({ verb: verb(), platform: 'api', outcome: 'ok' });
    return result;
  } catch (e) {
    deps.metrics?.commandsTotal.inc({ verb: verb(), platform: 'api', outcome: 'error' });
    throw e;
  } finally {
    deps.metrics?.commandDuration.observe({ verb: verb() }, (performance.now() - started) / 1000);
  }
}

async function incidentAnswer(deps: ApiCommandDeps, incidentId: string, lang: string) {
  const snapshot = await loadSnapshot(deps.app.db, incidentId);
  if (!snapshot) throw new Error(`incident ${incidentId} vanished`);
  return incidentJson(snapshot, lang);
}

/** The message chat would have shown, without what only chat uses (buttons, cut timelines). */
function messageJson(message: { text: string; title?: string; lines?: string[]; fields?: { label: string; value: string }[]; links?: { label: string; url: string }[] }) {
  return {
    text: message.text,
    ...(message.title ? { title: message.title } : {}),
    ...(message.lines ? { lines: message.lines } : {}),
    ...(message.fields ? { fields: message.fields } : {}),
    ...(message.links ? { links: message.links } : {}),
  };
}

/** Which of JSON and Markdown the client prefers (Accept, with q-values); undefined when it takes neither. */
function negotiate(accept: string | undefined): 'json' | 'markdown' | undefined {
  if (!accept?.trim()) return 'json';
  const ranked = accept
    .split(',')
    .map((part, i) => {
      const [type = '', ...params] = part.trim().toLowerCase().split(';');
      const q = Number(params.map((p) => p.trim()).find((p) => p.startsWith('q='))?.slice(2) ?? 1);
      return { type: type.trim(), q: Number.isFinite(q) ? q : 0, i };
    })
    .filter((r) => r.q > 0)
    .sort((a, b) => b.q - a.q || a.i - b.i);
  for (const { type } of ranked) {
    if (type === 'application/json' || type === 'application/*' || type === '*/*') return 'json';
    if (type === 'text/markdown' || type === 'text/*') return 'markdown';
  }
  return undefined;
}

/** Every route of /api/v1 but the document itself (see part.ts), in the order they are documented. */
export function apiRoutes(deps: ApiCommandDeps): RouteSpec[] {
  const requester = (req: ApiRequest<unknown, unknown, unknown>, timeZone?: string) => ({ caller: req.caller, lang: req.lang, timeZone, receiptKey: req.receiptKey });
  return [
    route({
      method: 'get',
      path: '/incidents',
      operationId: 'listIncidents',
      summary: 'List incidents, newest first',
      description: 'Private incidents included: a token has a responder’s rights. Page with `limit` and the `next` link.',
      query: ListIncidentsQuery,
      responses: { 200: { description: 'A page of incidents.', schema: IncidentList } },
      handle: async ({ query, lang }) => ({ status: 200, json: await listIncidents(deps.app.db, query, lang) }),
    }),
    route({
      method: 'post',
      path: '/incidents',
      operationId: 'declareIncident',
      summary: 'Declare an incident',
      description: 'As `declare` in chat: numbered, timestamped, the token its commander; its channel opens on the first chat platform configured.',
      body: DeclareIncidentBody,
      idempotent: true,
      responses: {
        201: { description: 'Declared (or, for a replayed Idempotency-Key, declared by the first request).', schema: CommandResult, headers: { Location: 'The incident in the API.' } },
        ...IDEMPOTENCY_RESPONSES,
      },
      handle: (req) => counted(deps, () => 'declare', async () => {
        const { body } = req;
        const severity = typeof body.severity === 'number' ? severityFromNumber(body.severity) : body.severity;
        const command: Command = storable({
          verb: 'declare',
          form: false,
          title: body.title,
          components: body.components ?? [],
          visibility: body.private ? 'private' : 'public',
          ...(severity ? { severity } : {}),
          ...(body.summary?.trim() ? { summary: body.summary } : {}),
          ...(body.started ? { started: new Date(body.started) } : {}),
        });
        const { reply, incidentId } = await runApiCommand(deps, requester(req), command);
        const incident = await incidentAnswer(deps, incidentId!, req.lang);
        return {
          status: 201,
          headers: { Location: incident.url },
          json: { verb: 'declare', replayed: reply.replayed ?? false, message: messageJson(reply.message), incident },
        };
      }),
    }),
    route({
      method: 'get',
      path: '/incidents/{number}',
      operationId: 'getIncident',
      summary: 'Get one incident with its timeline, public updates, roles and actions',
      params: IncidentNumberParams,
      responses: { 200: { description: 'The incident.', schema: Incident }, 404: problem('No incident has this number.') },
      handle: async ({ params, lang }) => {
        const { id } = await incidentIdOf(deps, params.number);
        return { status: 200, json: await incidentAnswer(deps, id, lang) };
      },
    }),
    route({
      method: 'post',
      path: '/incidents/{number}/commands',
      operationId: 'runCommand',
      summary: 'Run a chat command on the incident',
      description:
        'The text is parsed and run exactly as `/incident <text>` in the incident’s channel: the same verbs (English or Japanese), ' +
        'validation, refusals and PUBLISH_APPROVAL. Verbs: ' +
        INCIDENT_VERBS.join(', ') +
        '. The result is also shown in the incident’s chat channel.',
      params: IncidentNumberParams,
      body: CommandBody,
      idempotent: true,
      responses: {
        200: { description: 'Done: what chat would have answered, and the incident as it is now.', schema: CommandResult },
        404: problem('No incident has this number.'),
        ...IDEMPOTENCY_RESPONSES,
      },
      handle: (req) => {
        let verb = 'unknown';
        return counted(deps, () => verb, async () => {
          const { params, body } = req;
          const incident = await incidentIdOf(deps, params.number);
          const text = storable(body.text);
          const now = deps.app.clock.now();
          const actor = apiActor(requester(req, body.timeZone));
          const parsed = parseCommand(text, { now, timeZone: actor.timeZone ?? deps.app.settings.teamTimeZone });
          const { command } = parsed;
          verb = command.verb;
          if (!INCIDENT_VERBS.includes(command.verb)) throw new ApiProblem(400, 'verb_not_for_incident', { verb: command.verb, verbs: INCIDENT_VERBS.join(', ') });
          if (parsed.incidentNumber !== undefined && parsed.incidentNumber !== incident.number) {
            throw new ApiProblem(400, 'incident_mismatch', { named: formatIncidentRef(parsed.incidentNumber), ref: formatIncidentRef(incident.number) });
          }
          const { reply } = await runApiCommand(deps, requester(req, body.timeZone), command, incident.id);
          const update = reply.previewUpdateId ? await loadPublicUpdate(deps.app.db, incident.id, reply.previewUpdateId) : undefined;
          return {
            status: 200,
            json: {
              verb: command.verb,
              replayed: reply.replayed ?? false,
              message: messageJson(reply.message),
              ...(update ? { publicUpdate: publicUpdateJson(update) } : {}),
              incident: await incidentAnswer(deps, incident.id, req.lang),
            },
          };
        });
      },
    }),
    route({
      method: 'get',
      path: '/incidents/{number}/postmortem',
      operationId: 'getPostmortem',
      summary: 'Get the postmortem draft',
      description: 'JSON with the draft in the requested language (Accept-Language or `?lang=`) and every language; `Accept: text/markdown` gives that language’s Markdown alone.',
      params: IncidentNumberParams,
      query: z.object({ lang: z.string().max(16).optional().meta({ description: 'The language, instead of Accept-Language.' }) }).strict(),
      responses: {
        200: { description: 'The draft.', schema: Postmortem, markdown: true },
        404: problem('No incident has this number, or it has no draft yet (`close` or `postmortem` writes one).'),
        406: problem('Accept names neither application/json nor text/markdown.'),
      },
      handle: async ({ c, params, lang }) => {
        const format = negotiate(c.req.header('accept'));
        if (!format) throw new ApiProblem(406, 'not_acceptable');
        const incident = await incidentIdOf(deps, params.number);
        const ref = formatIncidentRef(incident.number);
        const drafts = await readPostmortemDrafts(deps.app, incident.id);
        const draft = drafts.find((d) => d.lang === lang) ?? drafts[0];
        if (!draft) throw new ApiProblem(404, 'no_postmortem', { ref });
        const headers = { 'Content-Language': draft.lang, Vary: 'Accept, Accept-Language', 'Last-Modified': draft.generatedAt.toUTCString() };
        if (format === 'markdown') return { status: 200, headers, text: { body: draft.markdown, contentType: 'text/markdown; charset=utf-8' } };
        return {
          status: 200,
          headers,
          json: {
            number: incident.number,
            ref,
            lang: draft.lang,
            markdown: draft.markdown,
            generatedAt: draft.generatedAt.toISOString(),
            languages: drafts.map((d) => ({ lang: d.lang, markdown: d.markdown, generatedAt: d.generatedAt.toISOString() })),
          },
        };
      },
    }),
  ];
}
