import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** Where the shared Slack specs live. */
import { SPECS_DIR } from '../specs.ts';

export { SPECS_DIR };

/** One Web API method's arguments: every accepted name, and those that must be present. */
export interface MethodSpec {
  params: Set<string>;
  required: Set<string>;
  source: 'openapi' | '@slack/web-api';
}

interface OpenApi {
  paths: Record<string, Record<string, { parameters?: { name: string; in: string; required?: boolean }[] }>>;
}

/**
 * Methods newer than the 2021 OpenAPI spec, checked against the argument interfaces that
 * @slack/web-api declares for them (its .d.ts files), read at test time.
 */
const NEWER_METHODS: Record<string, { file: string; iface: string }> = {
  'bookmarks.add': { file: 'bookmarks.d.ts', iface: 'BookmarksAddArguments' },
  'apps.connections.open': { file: 'apps.d.ts', iface: 'AppsConnectionsOpenArguments' },
  // The external upload flow that replaced files.upload (retired 2025-11-12).
  'files.getUploadURLExternal': { file: 'files.d.ts', iface: 'FilesGetUploadURLExternalArguments' },
};

/**
 * Newer methods whose arguments @slack/web-api declares as a union of intersections, which
 * {@link argumentsOf} does not follow: written out from its files.d.ts
 * (`FilesCompleteUploadExternalArguments` = FileDestinationArgument & { files, initial_comment,
 * blocks }) and Slack's page for the method, which also lists `channels`.
 */
const WRITTEN_OUT: Record<string, { params: string[]; required: string[] }> = {
  'files.completeUploadExternal': { params: ['files', 'channel_id', 'channels', 'thread_ts', 'initial_comment', 'blocks'], required: ['files'] },
};

let cache: Map<string, MethodSpec> | undefined;

/** Every method the tests may call, with its arguments, from the OpenAPI spec and the SDK's types. */
export function webApiSpec(): Map<string, MethodSpec> {
  if (cache) return cache;
  const spec = JSON.parse(readFileSync(join(SPECS_DIR, 'slack-web-api.openapi.json'), 'utf8')) as OpenApi;
  const methods = new Map<string, MethodSpec>();
  for (const [path, ops] of Object.entries(spec.paths)) {
    const params = new Set<string>();
    const required = new Set<string>();
    for (const op of Object.values(ops)) {
      for (const p of op.parameters ?? []) {
        // The token travels in the Authorization header, never as an argument.
        if (p.name === 'token') continue;
        params.add(p.name);
        if (p.required) required.add(p.name);
      }
    }
    methods.set(path.replace(/^\//, ''), { params, required, source: 'openapi' });
  }
  for (const [method, { file, iface }] of Object.entries(NEWER_METHODS)) {
    methods.set(method, { ...argumentsOf(file, iface), source: '@slack/web-api' });
  }
  for (const [method, { params, required }] of Object.entries(WRITTEN_OUT)) {
    methods.set(method, { params: new Set(params), required: new Set(required), source: '@slack/web-api' });
  }
  cache = methods;
  return methods;
}

/** Properties of a request-argument interface in @slack/web-api's declarations, following `extends`. */
function argumentsOf(file: string, iface: string): { params: Set<string>; required: Set<string> } {
  const require = createRequire(import.meta.url);
  const dir = join(dirname(require.resolve('@slack/web-api/package.json')), 'dist/types/request');
  const source = [file, 'common.d.ts'].map((f) => readFileSync(join(dir, f), 'utf8')).join('\n');
  const interfaces = new Map<string, { parents: string[]; body: string }>();
  for (const m of source.matchAll(/interface (\w+)(?:<[^>]*>)?(?:\s+extends\s+([^{]+))?\s*\{([^}]*)\}/g)) {
    const parents = (m[2] ?? '').split(/,(?![^<]*>)/).map((p) => p.trim().replace(/^Partial<(\w+)>$/, '$1?').replace(/<.*$/, '')).filter(Boolean);
    interfaces.set(m[1]!, { parents, body: m[3]! });
  }
  // `type X = OptionalArgument<Y>`: Y's properties, all optional (`object`: none at all).
  for (const m of source.matchAll(/type (\w+) = OptionalArgument<(\w+)>;/g)) {
    interfaces.set(m[1]!, { parents: m[2] === 'object' ? [] : [`${m[2]}?`], body: '' });
  }
  const params = new Set<string>();
  const required = new Set<string>();
  const visit = (name: string, optional: boolean) => {
    const found = interfaces.get(name.replace(/\?$/, ''));
    if (!found) throw new Error(`no interface ${name} in @slack/web-api ${file}`);
    for (const p of found.body.matchAll(/^\s*(\w+)(\?)?:/gm)) {
      if (p[1] === 'token') continue;
      params.add(p[1]!);
      if (!p[2] && !optional) required.add(p[1]!);
    }
    for (const parent of found.parents) visit(parent, optional || parent.endsWith('?'));
  };
  visit(iface, false);
  return { params, required };
}
