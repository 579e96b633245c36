import { describe, expect, it } from 'vitest';
import { escapeMrkdwn, LIMITS, renderMessage, splitText } from '../../../src/chat/slack/blocks.ts';
import { slackChannelName } from '../../../src/chat/slack/channel-name.ts';

const options = { truncatedNote: (n: number) => `${n} more`, moreUrl: 'https://tsuiki.example/status/incidents/x' };

describe('escapeMrkdwn', () => {
  it.each([
    ['<!channel> now', '&lt;!channel&gt; now'],
    ['ping <@U123ABC>', 'ping &lt;@U123ABC&gt;'],
    ['a & b > c', 'a &amp; b &gt; c'],
    ['<https://evil.example|click>', '&lt;https://evil.example|click&gt;'],
  ])('%s → %s', (input, expected) => {
    expect(escapeMrkdwn(input)).toBe(expected);
  });
});

describe('splitText', () => {
  it('keeps every piece within the limit and loses nothing but the break it cut at', () => {
    const text = Array.from({ length: 400 }, (_, i) => `line ${i} ${'x'.repeat(20)}`).join('\n');
    const pieces = splitText(text, 3000);
    expect(pieces.length).toBeGreaterThan(1);
    for (const p of pieces) expect(p.length).toBeLessThanOrEqual(3000);
    expect(pieces.join('\n')).toBe(text);
  });

  it('never cuts an escape entity in two', () => {
    const text = escapeMrkdwn('&'.repeat(1000));
    for (const p of splitText(text, 3000)) expect(p).toMatch(/^(&amp;)+$/);
  });
});

describe('renderMessage', () => {
  it('renders title, lines, fields and buttons as Block Kit', () => {
    const out = renderMessage(
      { text: 'INC-1', title: 'INC-1 API', lines: ['hello'], fields: [{ label: 'Status', value: 'Investigating' }], actions: [{ id: 'publish_update', label: 'Publish', value: 'u1', style: 'primary' }] },
      options,
    );
    expect(out.blocks.map((b) => b.type)).toEqual(['header', 'section', 'section', 'actions']);
  });

  it('splits a 10,000-character line into sections of at most 3,000', () => {
    const out = renderMessage({ text: 'long', lines: ['word '.repeat(2000)] }, options);
    const sections = out.blocks.filter((b) => b.type === 'section') as unknown as { text: { text: string } }[];
    expect(sections.length).toBeGreaterThanOrEqual(4);
    for (const s of sections) expect(s.text.text.length).toBeLessThanOrEqual(LIMITS.sectionText);
  });

  it('keeps 50 blocks at most, says how much was left out with a link, and keeps the buttons', () => {
    const lines = Array.from({ length: 80 }, (_, i) => `${'entry '.repeat(100)} ${i}`.repeat(6));
    const out = renderMessage({ text: 'timeline', title: 'Timeline', lines, actions: [{ id: 'cancel_update', label: 'Cancel', value: 'u' }] }, options);
    expect(out.blocks.length).toBe(LIMITS.blocks);
    expect(out.blocks.at(-1)!.type).toBe('actions');
    const note = out.blocks.at(-2) as unknown as { type: string; elements: { text: string }[] };
    expect(note.type).toBe('context');
    expect(note.elements[0]!.text).toMatch(/^\d+ more <https:\/\/tsuiki\.example\/status\/incidents\/x>$/);
  });

  it.each([
    [undefined, '44 more (no link)'],
    ['https://tsuiki.example/incidents/1/timeline?lang=en&exp=1&sig=x', '44 more (link) <https://tsuiki.example/incidents/1/timeline?lang=en&amp;exp=1&amp;sig=x>'],
  ])('counts the characters left out as typed, not as escaped (link %s)', (moreUrl, expected) => {
    // 60 lines of `&&&&` (escaped: 20 characters each); 49 fit, 11 × 4 characters do not.
    const lines = Array.from({ length: 60 }, () => '&&&&');
    const out = renderMessage({ text: 't', lines }, { truncatedNote: (n, withLink) => `${n} more (${withLink ? 'link' : 'no link'})`, moreUrl });
    const note = out.blocks.at(-1) as unknown as { elements: { text: string }[] };
    expect(note.elements[0]!.text).toBe(expected);
  });

  it('truncates a header past 150 characters and a button label past 75', () => {
    const out = renderMessage({ text: 't', title: 'T'.repeat(300), actions: [{ id: 'publish_update', label: 'P'.repeat(100), value: 'v' }] }, options);
    expect(((out.blocks[0] as unknown as { text: { text: string } }).text.text).length).toBe(150);
    const button = (out.blocks[1] as unknown as { elements: { text: { text: string } }[] }).elements[0]!;
    expect(button.text.text.length).toBe(75);
  });
});

describe('slackChannelName', () => {
  it.each([
    ['inc-42-api-errors-in-eu', 1, 'inc-42-api-errors-in-eu'],
    ['inc-42-api-errors-in-eu', 2, 'inc-42-api-errors-in-eu-2'],
    ['INC-7 Bad.Name', 1, 'inc-7-bad-name'],
    [`inc-1-${'a'.repeat(90)}`, 1, `inc-1-${'a'.repeat(74)}`],
    [`inc-1-${'a'.repeat(90)}`, 12, `inc-1-${'a'.repeat(71)}-12`],
  ])('%s (attempt %i) → %s', (slug, attempt, expected) => {
    const name = slackChannelName(slug, attempt);
    expect(name).toBe(expected);
    expect(name.length).toBeLessThanOrEqual(80);
    expect(name).toMatch(/^[a-z0-9_-]+$/);
  });
});
