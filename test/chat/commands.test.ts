import { describe, expect, it } from 'vitest';
import { CHAT_COMMANDS, chatCommandFor } from '../../src/chat/commands/index.ts';
import { INCIDENT_VERBS, type Verb, VERBS } from '../../src/core/command.ts';

const definitions = [...new Set(Object.values(CHAT_COMMANDS))];

describe('chat command registry', () => {
  it('registers exactly the parser verbs', () => {
    expect(Object.keys(CHAT_COMMANDS).sort()).toEqual([...VERBS].sort());
  });

  it.each(VERBS)('has exactly one definition serving %s, and registers it under that verb', (verb) => {
    const serving = definitions.filter((d) => (d.verbs as readonly Verb[]).includes(verb));
    expect(serving).toHaveLength(1);
    expect(CHAT_COMMANDS[verb]).toBe(serving[0]);
  });

  it.each(VERBS)('resolves an incident for %s exactly when the parser accepts INC-n for it', (verb) => {
    expect(chatCommandFor(verb).scope).toBe(INCIDENT_VERBS.includes(verb) ? 'incident' : 'global');
  });

  it('refuses a verb nothing handles', () => {
    expect(() => chatCommandFor('toString' as Verb)).toThrow('unhandled verb toString');
  });
});
