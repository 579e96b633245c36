import { readFileSync } from 'node:fs';
import { inArray } from 'drizzle-orm';
import { parse } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../config.ts';
import { DomainError } from '../core/errors.ts';
import type { Db, Tx } from '../db/client.ts';
import * as t from '../db/schema.ts';
import type { AppContext } from './context.ts';

const ComponentId = z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'ids are lowercase letters, digits, - and _');

/** COMPONENTS_FILE: the component catalog and the translation glossary (PRODUCT.md "Settings"). */
export const ComponentsFile = z.object({
  components: z
    .array(
      z.object({
        id: ComponentId,
        name: z.string().min(1),
        names: z.record(z.string(), z.string()).default({}),
        statuspage_id: z.string().optional(),
        /** The id of the component group it is listed under (`groups:` names it; else the id is its name). */
        group: ComponentId.optional(),
      }),
    )
    .default([]),
  groups: z.array(z.object({ id: ComponentId, name: z.string().min(1), names: z.record(z.string(), z.string()).default({}) })).default([]),
  glossary: z.array(z.object({ term: z.string().min(1) }).catchall(z.string())).default([]),
});
export type ComponentsFile = z.infer<typeof ComponentsFile>;

/** The component groups of a catalog, in the order their first member appears, with their member ids. */
export function componentGroups(file: ComponentsFile): { id: string; name: string; names: Record<string, string>; components: string[] }[] {
  const groups: { id: string; name: string; names: Record<string, string>; components: string[] }[] = [];
  for (const c of file.components) {
    if (!c.group) continue;
    let group = groups.find((g) => g.id === c.group);
    if (!group) {
      const named = file.groups.find((g) => g.id === c.group);
      groups.push((group = { id: c.group, name: named?.name ?? c.group, names: named?.names ?? {}, components: [] }));
    }
    group.components.push(c.id);
  }
  return groups;
}

/** Reads and validates COMPONENTS_FILE; throws a ConfigError with one line per problem, each naming the setting. */
export function readComponentsFile(path: string): ComponentsFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? String(e);
    throw new ConfigError([`COMPONENTS_FILE: expected a readable YAML file, got ${JSON.stringify(path)} (${code})`]);
  }
  let document: unknown;
  try {
    document = parse(text) ?? {};
  } catch (e) {
    const why = (e instanceof Error ? e.message : String(e)).split('\n')[0]!.replace(/:$/, '');
    throw new ConfigError([`COMPONENTS_FILE: ${JSON.stringify(path)} is not valid YAML: ${why}`]);
  }
  const parsed = ComponentsFile.safeParse(document);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `COMPONENTS_FILE: ${path}: ${i.path.join('.') || '(top level)'} ${i.message}`));
  }
  // Groups are listed among the components in the Statuspage JSON: one id must name one thing.
  const clashes = componentGroups(parsed.data).filter((g) => parsed.data.components.some((c) => c.id === g.id));
  if (clashes.length) throw new ConfigError(clashes.map((g) => `COMPONENTS_FILE: ${path}: group ${JSON.stringify(g.id)} has the id of a component`));
  return parsed.data;
}

/** Upserts the catalog so names and Statuspage ids follow the file; components are never deleted. */
export async function syncComponents(db: Db, file: Omit<ComponentsFile, 'groups'> & { groups?: ComponentsFile['groups'] }, now: Date): Promise<void> {
  for (const [position, c] of file.components.entries()) {
    await db
      .insert(t.component)
      .values({ id: c.id, name: c.name, names: c.names, statuspageId: c.statuspage_id ?? null, position, createdAt: now })
      .onConflictDoUpdate({
        target: t.component.id,
        set: { name: c.name, names: c.names, statuspageId: c.statuspage_id ?? null, position },
      });
  }
}

/**
 * Makes sure every named component exists: with a catalog (COMPONENTS_FILE) an unknown id
 * is an error; without one, a component is created the first time an incident names it.
 */
export async function ensureComponents(tx: Tx, ctx: AppContext, ids: readonly string[], now: Date): Promise<void> {
  if (ids.length === 0) return;
  const known = await tx.select({ id: t.component.id }).from(t.component).where(inArray(t.component.id, [...ids]));
  const missing = ids.filter((id) => !known.some((k) => k.id === id));
  if (missing.length === 0) return;
  if (ctx.settings.strictComponents) throw new DomainError('unknown_component', { components: missing.join(', ') });
  await tx
    .insert(t.component)
    .values(missing.map((id) => ({ id, name: id, names: {}, position: 1000, createdAt: now })))
    .onConflictDoNothing();
}
