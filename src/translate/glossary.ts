import { createHash } from 'node:crypto';

/** A name kept exact through translation, optionally written differently per language. */
export interface GlossaryTerm {
  /** The name as written in the source catalog. */
  term: string;
  /** Per-language forms (`ja: コンソール (管理画面)`); a language without one keeps `term`. */
  names: Record<string, string>;
}

/** Component and product names from COMPONENTS_FILE, with a version that changes when they do. */
export interface Glossary {
  terms: GlossaryTerm[];
  /** Short hash of the terms; part of the cache key and of DeepL glossary names. */
  version: string;
}

/**
 * What a glossary is built from: COMPONENTS_FILE's components and its `glossary:` list
 * (app/components.ts reads the file). Declared here so translation does not import the use cases.
 */
export interface GlossarySource {
  components: readonly { id: string; name: string; names: Record<string, string> }[];
  glossary: readonly ({ term: string } & Record<string, string>)[];
}

/** The term as a language writes it. */
export function termIn(term: GlossaryTerm, lang: string): string {
  return term.names[lang] ?? term.names[lang.split('-')[0]!] ?? term.term;
}

/** Builds the glossary from the catalog's component names and its `glossary:` list. */
export function buildGlossary(file: GlossarySource | undefined): Glossary {
  const byTerm = new Map<string, GlossaryTerm>();
  for (const c of file?.components ?? []) byTerm.set(c.name, { term: c.name, names: { ...c.names } });
  for (const entry of file?.glossary ?? []) {
    const { term, ...names } = entry;
    const existing = byTerm.get(term);
    byTerm.set(term, { term, names: { ...existing?.names, ...(names as Record<string, string>) } });
  }
  const terms = [...byTerm.values()].sort((a, b) => a.term.localeCompare(b.term));
  const canonical = JSON.stringify(terms.map((t) => [t.term, Object.entries(t.names).sort()]));
  const version = terms.length ? createHash('sha256').update(canonical).digest('hex').slice(0, 12) : 'none';
  return { terms, version };
}

/**
 * The glossary with more terms (a followed vendor's component names): a term the glossary
 * already has keeps its entry, COMPONENTS_FILE's forms winning; the version changes with
 * the added terms, so cached translations made without them are not reused.
 */
export function withTerms(glossary: Glossary, extra: readonly GlossaryTerm[]): Glossary {
  const known = new Set(glossary.terms.map((t) => t.term));
  const added = extra.filter((t) => t.term.trim().length > 0 && !known.has(t.term) && (known.add(t.term), true));
  if (added.length === 0) return glossary;
  const terms = [...glossary.terms, ...added].sort((a, b) => a.term.localeCompare(b.term));
  const canonical = JSON.stringify([glossary.version, added.map((t) => [t.term, Object.entries(t.names).sort()])]);
  return { terms, version: createHash('sha256').update(canonical).digest('hex').slice(0, 12) };
}

export const EMPTY_GLOSSARY: Glossary = { terms: [], version: 'none' };
