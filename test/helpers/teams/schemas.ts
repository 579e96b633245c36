import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

import { SPECS_DIR } from '../specs.ts';

export const SPECS = SPECS_DIR;

// ajv-formats is CommonJS: under ESM its function sits on `default`.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as unknown as (ajv: Ajv) => Ajv;

function readJson(path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
}

/** Drops `$schema`/`id` so ajv (draft-07) compiles draft-04/06 schemas; their keywords are the same for these files. */
function asDraft7(schema: Record<string, unknown>): Record<string, unknown> {
  const { $schema: _s, id: _id, ...rest } = schema;
  return rest;
}

let cardValidator: ValidateFunction | undefined;

/** Validates an Adaptive Card against the official 1.5.0 schema; returns ajv's errors as text, empty when valid. */
export function adaptiveCardProblems(card: unknown): string[] {
  if (!cardValidator) {
    const ajv = new Ajv({ strict: false, allErrors: false });
    addFormats(ajv);
    cardValidator = ajv.compile(asDraft7(readJson(`${SPECS}/adaptivecards/adaptive-card.schema.1.5.0.json`)));
  }
  const problems: string[] = [];
  if (!cardValidator(card)) problems.push(...(cardValidator.errors ?? []).map((e) => `${e.instancePath} ${e.message}`));
  // The 1.5 schema allows any version string; the card must also declare the one it was written for.
  if ((card as { version?: unknown }).version !== '1.5') problems.push(`version ${String((card as { version?: unknown }).version)} is not 1.5`);
  return problems;
}

/** Every Adaptive Card attached to an activity. */
export function cardsIn(activity: unknown): unknown[] {
  const attachments = (activity as { attachments?: { contentType?: string; content?: unknown }[] } | undefined)?.attachments ?? [];
  return attachments.filter((a) => a.contentType === 'application/vnd.microsoft.card.adaptive').map((a) => a.content);
}

let manifestValidator: ValidateFunction | undefined;

/** Validates a Teams app manifest against the v1.19 schema. */
export function manifestProblems(manifest: unknown): string[] {
  if (!manifestValidator) {
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(ajv);
    manifestValidator = ajv.compile(asDraft7(readJson(`${SPECS}/teams/schemas/MicrosoftTeams.schema.v1.19.json`)));
  }
  return manifestValidator(manifest) ? [] : (manifestValidator.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}

/** The Bot Framework Connector API (swagger 2.0): operations by method and path, and schema checks of request bodies. */
export class ConnectorSpec {
  private readonly ajv = new Ajv({ strict: false, allErrors: true });
  private readonly swagger = readJson(`${SPECS}/botframework/ConnectorAPI.swagger.json`) as {
    paths: Record<string, Record<string, { operationId: string; parameters?: { in: string; schema?: { $ref?: string } }[] }>>;
    definitions: Record<string, { properties?: Record<string, unknown> }>;
  };
  private readonly routes: { method: string; pattern: RegExp; operationId: string; bodyRef?: string | undefined; names: string[] }[] = [];

  constructor() {
    addFormats(this.ajv);
    this.ajv.addSchema({ $id: 'connector', definitions: this.swagger.definitions });
    for (const [path, ops] of Object.entries(this.swagger.paths)) {
      const names: string[] = [];
      const pattern = new RegExp(
        `^${path.replace(/\{(\w+)\}/g, (_m, name: string) => {
          names.push(name);
          return '([^/]+)';
        })}$`,
      );
      for (const [method, op] of Object.entries(ops)) {
        const bodyRef = op.parameters?.find((p) => p.in === 'body')?.schema?.$ref;
        this.routes.push({ method: method.toUpperCase(), pattern, operationId: op.operationId, bodyRef, names });
      }
    }
    // More specific paths first: /activities/history before /activities/{activityId}.
    this.routes.sort((a, b) => b.pattern.source.length - a.pattern.source.length);
  }

  /** The operation a request is, its path parameters, and every way its body departs from the spec. */
  check(method: string, path: string, body: unknown): { operationId?: string; params: Record<string, string>; problems: string[] } {
    for (const route of this.routes) {
      const match = route.pattern.exec(path);
      if (!match || route.method !== method) continue;
      const params = Object.fromEntries(route.names.map((n, i) => [n, decodeURIComponent(match[i + 1]!)]));
      const problems: string[] = [];
      if (route.bodyRef) {
        const name = route.bodyRef.replace('#/definitions/', '');
        const validate = this.ajv.getSchema(`connector${route.bodyRef}`)!;
        if (!validate(body)) problems.push(...(validate.errors ?? []).map((e) => `${name}${e.instancePath} ${e.message}`));
        // The spec's objects are open; a misspelt property would still be a bug, so names are checked too.
        const known = this.swagger.definitions[name]?.properties ?? {};
        for (const key of Object.keys((body ?? {}) as object)) if (!(key in known)) problems.push(`${name} has no property "${key}"`);
        const activity = name === 'ConversationParameters' ? (body as { activity?: unknown }).activity : undefined;
        if (activity) {
          const activityKnown = this.swagger.definitions.Activity?.properties ?? {};
          for (const key of Object.keys(activity as object)) if (!(key in activityKnown)) problems.push(`Activity has no property "${key}"`);
        }
      }
      return { operationId: route.operationId, params, problems };
    }
    return { params: {}, problems: [`${method} ${path} is not an operation of the Connector API`] };
  }
}
