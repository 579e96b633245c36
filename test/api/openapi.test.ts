import { compileErrors, validate } from '@readme/openapi-parser';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { OpenAPIV3_1 } from 'openapi-types';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, describeDb, type TestDatabase } from '../helpers/database.ts';
import { type ApiHarness, startApi } from './helpers.ts';

let database: TestDatabase;
let api: ApiHarness;
let token: string;
let document: OpenAPIV3_1.Document;

beforeAll(async () => {
  database = await createTestDatabase();
  api = await startApi(database);
  ({ token } = await api.token());
  document = (await api.call('GET', '/api/v1/openapi.json')).json;
});

afterAll(async () => {
  await api?.close();
  await database?.drop();
});

/** `/api/v1/incidents/:number` as OpenAPI writes it. */
const openApiPath = (honoPath: string) => honoPath.replace(/:(\w+)/g, '{$1}');

/** The JSON Schema the document gives an answer of this operation and status. */
function responseSchema(path: string, method: 'get' | 'post', status: number, type = 'application/json'): object {
  const response = document.paths![path]![method]!.responses![String(status)] as OpenAPIV3_1.ResponseObject;
  const schema = response.content?.[type]?.schema;
  if (!schema) throw new Error(`no ${type} schema for ${method} ${path} ${status}`);
  return schema;
}

function expectConforms(schema: object, value: unknown): void {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  const check = ajv.compile(schema);
  expect(check(value), JSON.stringify(check.errors)).toBe(true);
}

describeDb('GET /api/v1/openapi.json', () => {
  it('is served without a token and is a valid OpenAPI 3.1 document', async () => {
    const res = await api.call('GET', '/api/v1/openapi.json');
    expect(res.status).toBe(200);
    expect(res.json.openapi).toBe('3.1.0');
    const result = await validate(structuredClone(res.json));
    expect(result.valid, result.valid ? '' : compileErrors(result)).toBe(true);
  });

  it('documents every /api/v1 route the server has, and no other', () => {
    const served = api.server.http.app.routes
      .filter((r) => r.path.startsWith('/api/v1/') && r.path !== '/api/v1/*')
      .map((r) => `${r.method.toLowerCase()} ${openApiPath(r.path)}`)
      .sort();
    const documented = Object.entries(document.paths ?? {})
      .flatMap(([path, item]) => Object.keys(item ?? {}).filter((k) => ['get', 'post', 'put', 'patch', 'delete'].includes(k)).map((method) => `${method} ${path}`))
      .sort();
    expect(served.length).toBeGreaterThanOrEqual(6);
    expect(documented).toEqual(served);
  });

  it('describes request bodies with the schemas that validate them', () => {
    const declare = document.paths!['/api/v1/incidents']!.post!.requestBody as OpenAPIV3_1.RequestBodyObject;
    const schema = declare.content['application/json']!.schema as OpenAPIV3_1.SchemaObject;
    expect(schema.required).toEqual(['title']);
    expect(Object.keys(schema.properties!).sort()).toEqual(['components', 'private', 'severity', 'started', 'summary', 'title']);
    expect(schema.additionalProperties).toBe(false);
    const parameters = document.paths!['/api/v1/incidents']!.post!.parameters as OpenAPIV3_1.ParameterObject[];
    expect(parameters.map((p) => `${p.in}:${p.name}`)).toEqual(['header:Idempotency-Key', 'header:Accept-Language']);
  });

  it('matches what the server answers: declare, list, get, commands, postmortem and problems', async () => {
    const declared = await api.call('POST', '/api/v1/incidents', { token, body: { title: 'Schema check', components: ['api'] } });
    expectConforms(responseSchema('/api/v1/incidents', 'post', 201), declared.json);
    const { number } = declared.json.incident;
    expectConforms(responseSchema('/api/v1/incidents', 'get', 200), (await api.call('GET', '/api/v1/incidents', { token })).json);
    expectConforms(responseSchema('/api/v1/incidents/{number}', 'get', 200), (await api.call('GET', `/api/v1/incidents/${number}`, { token })).json);
    const path = `/api/v1/incidents/${number}/commands`;
    for (const text of ['status resolved All fixed', 'close']) {
      const res = await api.call('POST', path, { token, body: { text } });
      expect(res.status).toBe(200);
      expectConforms(responseSchema('/api/v1/incidents/{number}/commands', 'post', 200), res.json);
    }
    expectConforms(responseSchema('/api/v1/incidents/{number}/postmortem', 'get', 200), (await api.call('GET', `/api/v1/incidents/${number}/postmortem`, { token })).json);
    const refused = await api.call('POST', path, { token, body: { text: 'frobnicate' } });
    expectConforms(responseSchema('/api/v1/incidents/{number}/commands', 'post', 400, 'application/problem+json'), refused.json);
    const invalid = await api.call('POST', path, { token, body: { text: 7 } });
    expectConforms(responseSchema('/api/v1/incidents/{number}/commands', 'post', 400, 'application/problem+json'), invalid.json);
  });
});
