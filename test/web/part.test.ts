import { describe, expect, it } from 'vitest';
import { SERVER_PARTS } from '../../src/main.ts';
import { webSessionKey } from '../../src/web/auth.ts';
import { webAppPart, webAppUrl } from '../../src/web/part.ts';

describe('the web app part', () => {
  it('is one of the server parts npm start builds', () => {
    expect(SERVER_PARTS).toContain(webAppPart);
  });

  it.each([
    ['http://localhost:3000/status', 'http://localhost:3000/app/'],
    ['https://status.example.com/status', 'https://status.example.com/app/'],
  ])('is announced at start-up beside the status page: %s → %s', (statusPage, app) => {
    expect(webAppUrl(statusPage)).toBe(app);
  });

  it('derives its cookie key from WEB_SESSION_SECRET first, else the Slack signing secret, else ADMIN_TOKEN, never using a secret as is', () => {
    const own = webSessionKey({ webSessionSecret: 'w', adminToken: 'a', slack: { signingSecret: 's' } });
    const slack = webSessionKey({ webSessionSecret: undefined, adminToken: 'a', slack: { signingSecret: 's' } });
    const admin = webSessionKey({ webSessionSecret: undefined, adminToken: 'a', slack: {} });
    expect(new Set([own!.toString('hex'), slack!.toString('hex'), admin!.toString('hex')]).size).toBe(3);
    expect(admin!.toString()).not.toBe('a');
    expect(webSessionKey({ webSessionSecret: undefined, adminToken: undefined, slack: {} })).toBeUndefined();
  });
});
