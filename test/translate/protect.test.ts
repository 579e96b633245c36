import { describe, expect, it } from 'vitest';
import { buildGlossary } from '../../src/translate/glossary.ts';
import { maskProtected, restoreProtected } from '../../src/translate/protect.ts';
import { transform } from '../helpers/translators/behaviour.ts';

const glossary = buildGlossary({
  components: [
    { id: 'api', name: 'REST API', names: { ja: 'REST API' } },
    { id: 'console', name: 'Console', names: { ja: 'コンソール (管理画面)' } },
  ],
  glossary: [{ term: 'Programmable SMS' }, { term: 'failover', ja: 'フェイルオーバー' }],
});

const PLACEHOLDER = /⟦\d+⟧/;
/** Masks, lets a translator that rewrites every word loose on the text, and restores. */
const throughRewriter = (text: string, target = 'ja') => {
  const masked = maskProtected(text, glossary);
  return { masked, restored: restoreProtected(transform(masked.text, target, 'rewrite-words', PLACEHOLDER), masked, target) };
};

describe('protected spans', () => {
  it.each([
    ['a URL', 'See https://status.example.com/incidents/42?lang=en for details.', 'https://status.example.com/incidents/42?lang=en'],
    ['an e-mail address', 'Write to support@example.co.jp if it persists.', 'support@example.co.jp'],
    ['code in backticks', 'Requests to `POST /v1/messages` fail.', '`POST /v1/messages`'],
    ['a ticket id', 'Tracked as INC-42 and JIRA-123.', 'INC-42'],
    ['a second ticket id', 'Tracked as INC-42 and JIRA-123.', 'JIRA-123'],
    ['a percentage', 'About 40% of requests fail.', '40%'],
    ['a latency', 'Latency is 250 ms above normal.', '250 ms'],
    ['a size', 'Queues hold 3 GB of messages.', '3 GB'],
    ['a time with zone', 'Since 15:20 UTC calls fail.', '15:20 UTC'],
    ['a Japanese-style time', 'Since 2/27 0:20 (JST) calls fail.', '2/27 0:20 (JST)'],
    ['an ISO time', 'Started 2026-02-26T15:20:00Z sharp.', '2026-02-26T15:20:00Z'],
    ['a product name', 'Programmable SMS is delayed.', 'Programmable SMS'],
  ])('keeps %s exact through a translator that rewrites every word', (_name, text, span) => {
    const { masked, restored } = throughRewriter(text);
    expect(masked.text).not.toContain(span);
    expect(restored).toContain(span);
  });

  it('rewrites the words around the spans, proving the translator really ran', () => {
    const { restored } = throughRewriter('Latency is 250 ms.');
    expect(restored).toBe('YCNETAL SI 250 ms.');
  });

  it('writes a component name the way the target language does', () => {
    expect(throughRewriter('The Console is slow.', 'ja').restored).toBe('EHT コンソール (管理画面) SI WOLS.');
    expect(throughRewriter('The Console is slow.', 'en').restored).toBe('EHT Console SI WOLS.');
  });

  it('recognises a name written in the source language and maps it back', () => {
    const masked = maskProtected('コンソール (管理画面)でフェイルオーバーを実施しました。', glossary);
    expect(masked.spans.map((s) => s.original)).toEqual(['コンソール (管理画面)', 'フェイルオーバー']);
    expect(restoreProtected(masked.text, masked, 'en')).toBe('Consoleでfailoverを実施しました。');
  });

  it('does not take a name from inside a longer word', () => {
    expect(maskProtected('RAPID CONSOLE Consoles', glossary).spans).toEqual([]);
  });

  it('keeps a URL with a ticket id inside as one span', () => {
    expect(maskProtected('See https://jira.example.com/browse/JIRA-123.', glossary).spans.map((s) => s.original)).toEqual([
      'https://jira.example.com/browse/JIRA-123',
    ]);
  });

  it('survives a translator that reorders sentences', () => {
    const masked = maskProtected('Console fails at 40%. Fixed by INC-7.', glossary);
    const reordered = transform(masked.text, 'ja', 'reorder', PLACEHOLDER);
    expect(restoreProtected(reordered, masked, 'en')).toBe('[ja] Fixed by INC-7. Console fails at 40%.');
  });

  it.each([
    ['lost', (s: string) => s.replace(PLACEHOLDER, '')],
    ['duplicated', (s: string) => s.replace(PLACEHOLDER, (m) => `${m}${m}`)],
    ['invented', (s: string) => `${s} ⟦9⟧`],
    ['half-eaten', (s: string) => s.replace('⟦0⟧', '⟦0')],
  ])('refuses a text whose placeholder was %s', (_name, mangle) => {
    const masked = maskProtected('Console fails at 40%.', glossary);
    expect(restoreProtected(mangle(masked.text), masked, 'ja')).toBeUndefined();
  });

  it('masks placeholder brackets already in the source, so they cannot be forged', () => {
    const masked = maskProtected('Odd text ⟦0⟧ here', glossary);
    expect(masked.spans.map((s) => s.original)).toEqual(['⟦', '⟧']);
    expect(restoreProtected(masked.text, masked, 'ja')).toBe('Odd text ⟦0⟧ here');
  });

  it('tolerates spaces a translator put inside a placeholder', () => {
    const masked = maskProtected('Down at 15:20 UTC.', glossary);
    expect(restoreProtected('⟦ 0 ⟧に停止。', masked, 'ja')).toBe('15:20 UTCに停止。');
  });
});

describe('glossary version', () => {
  it('changes when a per-language name changes and is stable otherwise', () => {
    const a = buildGlossary({ components: [], glossary: [{ term: 'failover', ja: 'フェイルオーバー' }] });
    const b = buildGlossary({ components: [], glossary: [{ term: 'failover', ja: 'フェールオーバー' }] });
    expect(a.version).toBe(buildGlossary({ components: [], glossary: [{ term: 'failover', ja: 'フェイルオーバー' }] }).version);
    expect(a.version).not.toBe(b.version);
    expect(buildGlossary(undefined).version).toBe('none');
  });
});
