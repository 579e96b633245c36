import { describe, expect, it } from 'vitest';
import { decodeTeamsText } from '../../../src/chat/teams/teams-text.ts';

describe('decodeTeamsText: what the person typed, from Teams HTML', () => {
  it.each([
    ['the issue title', 'declare Users can&#39;t log in &amp; see &lt;errors&gt;', "declare Users can't log in & see <errors>"],
    ['a mention', 'assign commander <at>Taro Yamada</at>', 'assign commander @Taro Yamada'],
    ['formatting tags dropped', 'update <b>DB</b> <i>failover</i> done', 'update DB failover done'],
    ['paragraphs and breaks become lines', '<p>update first</p><p>second</p>', 'update first\nsecond'],
    ['nbsp', 'update&nbsp;a\u00a0b', 'update a b'],
    ['numeric references', 'update &#x1F525; &#12354;', 'update 🔥 あ'],
    ['a typed ampersand entity stays what was typed', 'update a &amp;lt; b', 'update a &lt; b'],
  ])('%s', (_name, html, expected) => {
    expect(decodeTeamsText(html).text).toBe(expected);
  });

  it('keeps mentioned people aside from the mention entities', () => {
    const entities = [
      { type: 'mention', text: '<at>Taro Yamada</at>', mentioned: { id: '29:taro', aadObjectId: 'aad-taro', name: 'Taro Yamada' } },
      { type: 'clientInfo', locale: 'ja-JP', timezone: 'Asia/Tokyo' },
    ];
    expect(decodeTeamsText('assign commander <at>Taro Yamada</at>', entities).mentions).toEqual([{ id: 'aad-taro', display: '@Taro Yamada' }]);
  });
});
