/** @jsxRuntime automatic @jsxImportSource hono/jsx */
import type { Child } from 'hono/jsx';
import type { GlossaryTerm } from '../translate/glossary.ts';
import { termIn } from '../translate/glossary.ts';

/** The forms of every glossary term a text in `lang` may contain: the term as written and its form in that language. */
export function termForms(terms: readonly GlossaryTerm[], lang: string): string[] {
  const forms = new Set<string>();
  for (const term of terms) {
    if (term.term.trim()) forms.add(term.term);
    const form = termIn(term, lang);
    if (form.trim()) forms.add(form);
  }
  // Longest first, so "Programmable SMS" is marked whole rather than "SMS" inside it.
  return [...forms].sort((a, b) => b.length - a.length);
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The text with each glossary form marked (`<mark class="term">`), everything else as plain escaped text. */
export function Highlighted(props: { text: string; forms: readonly string[]; label: string }): Child {
  if (props.forms.length === 0) return props.text;
  const pattern = new RegExp(`(${props.forms.map(escapeRegExp).join('|')})`, 'g');
  const parts = props.text.split(pattern);
  return (
    <>
      {parts.map((part, i) =>
        i % 2 === 1 ? (
          <mark class="term" title={props.label}>
            {part}
          </mark>
        ) : (
          part
        ),
      )}
    </>
  );
}
