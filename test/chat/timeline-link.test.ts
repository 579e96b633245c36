import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createTimelineLinks, TIMELINE_LINK_TTL_MS, timelineLinkKey, timelineLinksFor } from '../../src/chat/timeline-link.ts';
import { ManualClock } from '../../src/core/clock.ts';

const T0 = new Date('2026-02-26T15:00:00Z');
const HOUR = 60 * 60_000;

function links(secret = 'signing-secret') {
  const clock = new ManualClock(T0);
  return { clock, links: createTimelineLinks({ key: timelineLinkKey({ slackSigningSecret: secret })!, publicUrl: 'https://tsuiki.example', now: () => clock.now() }) };
}

const params = (url: string) => Object.fromEntries(new URL(url).searchParams) as { lang: string; exp: string; sig: string };

describe('timeline links', () => {
  it('point at PUBLIC_URL/incidents/<n>/timeline in the reader’s language', () => {
    const url = new URL(links().links.url({ number: 42, visibility: 'public' }, 'ja'));
    expect(`${url.origin}${url.pathname}`).toBe('https://tsuiki.example/incidents/42/timeline');
    expect(url.searchParams.get('lang')).toBe('ja');
  });

  it.each([
    ['public', 7 * 24 * HOUR],
    ['private', 24 * HOUR],
  ] as const)('a %s incident’s link expires after %i ms', (visibility, ttl) => {
    const { exp } = params(links().links.url({ number: 1, visibility }, 'en'));
    expect(Number(exp) * 1000 - T0.getTime()).toBe(ttl);
    expect(TIMELINE_LINK_TTL_MS[visibility]).toBe(ttl);
  });

  it('open the incident they were signed for until they expire, then say so', () => {
    const { clock, links: l } = links();
    const { exp, sig } = params(l.url({ number: 7, visibility: 'public' }, 'en'));
    expect(l.check(7, exp, sig)).toEqual({ ok: true, expires: new Date(Number(exp) * 1000) });
    clock.advance(TIMELINE_LINK_TTL_MS.public);
    expect(l.check(7, exp, sig)).toEqual({ ok: false, reason: 'expired', expires: new Date(Number(exp) * 1000) });
  });

  it.each([
    ['another incident', (p: { exp: string; sig: string }) => [8, p.exp, p.sig] as const],
    ['a later expiry', (p: { exp: string; sig: string }) => [7, String(Number(p.exp) + 86_400), p.sig] as const],
    ['a changed signature', (p: { exp: string; sig: string }) => [7, p.exp, `${p.sig.slice(0, -1)}${p.sig.endsWith('A') ? 'B' : 'A'}`] as const],
    ['no signature', (p: { exp: string; sig: string }) => [7, p.exp, undefined] as const],
    ['no expiry', (p: { exp: string; sig: string }) => [7, undefined, p.sig] as const],
    ['an expiry that is not a number', (p: { exp: string; sig: string }) => [7, `${p.exp}.5`, p.sig] as const],
  ])('refuse %s', (_what, tamper) => {
    const { links: l } = links();
    const p = params(l.url({ number: 7, visibility: 'public' }, 'en'));
    const [number, exp, sig] = tamper(p);
    expect(l.check(number, exp, sig)).toEqual({ ok: false, reason: 'invalid' });
  });

  it('refuse a link signed with another secret, and one signed with the raw secret instead of the derived key', () => {
    const { links: ours } = links('signing-secret');
    const { links: theirs } = links('other-secret');
    const forged = params(theirs.url({ number: 7, visibility: 'public' }, 'en'));
    expect(ours.check(7, forged.exp, forged.sig)).toEqual({ ok: false, reason: 'invalid' });
    const raw = createHmac('sha256', 'signing-secret').update(`timeline\n7\n${forged.exp}`).digest('base64url');
    expect(ours.check(7, forged.exp, raw)).toEqual({ ok: false, reason: 'invalid' });
  });

  it('derive the key from SLACK_SIGNING_SECRET, else ADMIN_TOKEN, else there is none', () => {
    expect(timelineLinkKey({ slackSigningSecret: 's', adminToken: 'a' })).toEqual(timelineLinkKey({ slackSigningSecret: 's' }));
    expect(timelineLinkKey({ adminToken: 'a' })).toEqual(timelineLinkKey({ slackSigningSecret: 'a' }));
    expect(timelineLinkKey({ adminToken: 'a' })).not.toEqual(Buffer.from('a'));
    expect(timelineLinkKey({})).toBeUndefined();
    expect(timelineLinksFor({ config: { slack: {}, adminToken: undefined, publicUrl: 'https://x' }, app: { clock: new ManualClock(T0) } })).toBeUndefined();
  });
});
