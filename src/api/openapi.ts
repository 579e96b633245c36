import { z } from 'zod';
import { API_BASE } from './incidents.ts';
import { PROBLEM_TYPE } from './problem.ts';
import type { RouteSpec } from './route.ts';
import { IdempotencyHeaders } from './schemas.ts';

type JsonSchema = Record<string, unknown> & { properties?: Record<string, Record<string, unknown>>; required?: string[] };

/** A zod schema as JSON Schema 2020-12, the dialect of OpenAPI 3.1. */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

/** An object schema's fields as OpenAPI parameters of one location. */
function parameters(schema: z.ZodObject | undefined, where: 'path' | 'query' | 'header'): Record<string, unknown>[] {
  if (!schema) return [];
  const object = jsonSchema(schema, 'input');
  return Object.entries(object.properties ?? {}).map(([name, property]) => {
    const { description, ...rest } = property;
    return {
      name,
      in: where,
      required: where === 'path' || (object.required ?? []).includes(name),
      ...(typeof description === 'string' ? { description } : {}),
      schema: rest,
    };
  });
}

const ACCEPT_LANGUAGE = {
  name: 'Accept-Language',
  in: 'header',
  required: false,
  description: 'Language of messages and problem details (one of LOCALES, e.g. `en`, `ja`); the team’s first language otherwise.',
  schema: { type: 'string' },
};

/**
 * The OpenAPI 3.1 document of the API, built from the same route specs — and so the same zod
 * schemas — that serve and validate it.
 */
export function openApiDocument(routes: readonly RouteSpec[], info: { version: string; serverUrl: string; common: Record<number, { description: string; schema?: z.ZodType }> }): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const spec of routes) {
    const responses: Record<string, unknown> = {};
    const all = { ...(spec.authenticated === false ? {} : info.common), ...spec.responses };
    for (const [status, response] of Object.entries(all)) {
      const content: Record<string, unknown> = {};
      if (response.schema) content[Number(status) >= 400 ? PROBLEM_TYPE : 'application/json'] = { schema: jsonSchema(response.schema, 'output') };
      if ('markdown' in response && response.markdown) content['text/markdown'] = { schema: { type: 'string' } };
      const headers = 'headers' in response && response.headers ? Object.fromEntries(Object.entries(response.headers).map(([name, description]) => [name, { description, schema: { type: 'string' } }])) : undefined;
      responses[status] = { description: response.description, ...(Object.keys(content).length ? { content } : {}), ...(headers ? { headers } : {}) };
    }
    const operation = {
      operationId: spec.operationId,
      summary: spec.summary,
      ...(spec.description ? { description: spec.description } : {}),
      ...(spec.authenticated === false ? { security: [] } : {}),
      parameters: [
        ...parameters(spec.params, 'path'),
        ...parameters(spec.query, 'query'),
        ...(spec.idempotent ? parameters(IdempotencyHeaders, 'header').map((p) => ({ ...p, name: 'Idempotency-Key' })) : []),
        ACCEPT_LANGUAGE,
      ],
      ...(spec.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(spec.body, 'input') } } } } : {}),
      responses,
    };
    (paths[API_BASE + spec.path] ??= {})[spec.method] = operation;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'tsuiki REST API',
      version: info.version,
      description: 'Everything chat can do, for scripts, runbooks and CI. Tokens: `tsuiki tokens create <name>`. Errors are RFC 9457 problem details in the language of Accept-Language.',
    },
    servers: [{ url: info.serverUrl }],
    security: [{ bearer: [] }],
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'A token from `tsuiki tokens create <name>`.' } } },
    paths,
  };
}
