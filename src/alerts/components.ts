import type { Db } from '../db/client.ts';
import * as t from '../db/schema.ts';

/** A label value as a component id where no catalog names it: lowercase letters, digits, - and _. */
function slug(value: string): string {
  return value
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^[-_]+|[-_]+$/g, '')
    .slice(0, 64);
}

/**
 * Component ids for label values (`component`, `components`, `service`): a value naming a
 * catalog component by id, name or a translated name (any case) is that component. Others
 * become components of their own, unless COMPONENTS_FILE is the catalog (`strict`): then they
 * are left out, so an unknown service never stops an incident from being declared.
 */
export async function componentIdsFor(db: Db, values: readonly string[], strict: boolean): Promise<string[]> {
  if (values.length === 0) return [];
  const catalog = await db.select({ id: t.component.id, name: t.component.name, names: t.component.names }).from(t.component);
  const ids = new Set<string>();
  for (const value of values) {
    const wanted = value.trim().toLowerCase();
    const known = catalog.find(
      (c) => c.id === wanted || c.name.toLowerCase() === wanted || Object.values((c.names ?? {}) as Record<string, string>).some((n) => n.toLowerCase() === wanted),
    );
    if (known) ids.add(known.id);
    else if (!strict && slug(value)) ids.add(slug(value));
  }
  return [...ids];
}
