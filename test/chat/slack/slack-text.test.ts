import { describe, expect, it } from 'vitest';
import { decodeSlackText } from '../../../src/chat/slack/slack-text.ts';

const NAMES: Record<string, string> = { U0TARO0001: 'Taro Yamada', U0HANAKO01: 'Hanako' };
const displayNameOf = async (id: string) => NAMES[id];

describe('decodeSlackText: what the person typed, from what Slack sent', () => {
  it.each([
    ['the issue title', "Users can't log in &amp; see &lt;errors&gt;", "Users can't log in & see <errors>"],
    ['entities only once: &amp;lt; is a typed "&lt;"', 'a &amp;lt; b', 'a &lt; b'],
    ['a mention becomes the display name', 'paged <@U0TARO0001> now', 'paged @Taro Yamada now'],
    ['a mention with Slack\'s label, name from users.info', 'ask <@U0HANAKO01|hanako.s>', 'ask @Hanako'],
    ['an unknown user keeps Slack\'s label', 'ask <@U0NOBODY01|ghost>', 'ask @ghost'],
    ['an unknown user without a label keeps the id', 'ask <@U0NOBODY01>', 'ask @U0NOBODY01'],
    ['a channel', 'see <#C0OPS00001|ops-alerts>', 'see #ops-alerts'],
    ['a channel without a name', 'see <#C0OPS00001>', 'see #C0OPS00001'],
    ['a labelled link', 'graph <https://grafana.example/d/1?a=1&amp;b=2|dashboard>', 'graph dashboard (https://grafana.example/d/1?a=1&b=2)'],
    ['a bare link', 'see <https://status.example.com>', 'see https://status.example.com'],
    ['a link labelled with itself', '<https://status.example.com|status.example.com>', 'https://status.example.com'],
    ['mailto', 'mail <mailto:ops@example.com|ops@example.com>', 'mail mailto:ops@example.com'],
    ['special mentions', '<!here> and <!channel>', '@here and @channel'],
    ['a user group', 'page <!subteam^S0DBA|@dba>', 'page @dba'],
    ['a date keeps its fallback', 'since <!date^1392734382^{date_short}|Feb 18, 2014>', 'since Feb 18, 2014'],
    ['Japanese text untouched', '障害 &amp; 復旧 <@U0HANAKO01>', '障害 & 復旧 @Hanako'],
    ['plain text untouched', 'update at 05:59 restarted', 'update at 05:59 restarted'],
  ])('%s', async (_name, raw, expected) => {
    expect((await decodeSlackText(raw, displayNameOf)).text).toBe(expected);
  });

  it('keeps the ids of mentioned people aside, once each', async () => {
    const { mentions } = await decodeSlackText('assign commander <@U0TARO0001> cc <@U0TARO0001> <@U0HANAKO01>', displayNameOf);
    expect(mentions).toEqual([
      { id: 'U0TARO0001', display: '@Taro Yamada' },
      { id: 'U0HANAKO01', display: '@Hanako' },
    ]);
  });

  it('falls back to the label when users.info fails', async () => {
    const failing = async () => {
      throw new Error('ratelimited');
    };
    expect((await decodeSlackText('<@U1|taro>', failing)).text).toBe('@taro');
  });
});
