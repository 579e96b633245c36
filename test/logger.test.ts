import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/logger.ts';
import { captureLogs } from './helpers/log-capture.ts';

describe('createLogger', () => {
  it('writes one JSON object per line', () => {
    const { logger, lines } = captureLogs('info');
    logger.info({ incident: 'INC-42' }, 'declared');
    expect(lines()).toEqual([expect.objectContaining({ level: 30, incident: 'INC-42', msg: 'declared' })]);
  });

  it('drops entries below its level', () => {
    const { logger, lines } = captureLogs('info');
    logger.debug('noise');
    expect(lines()).toEqual([]);
  });

  it.each([
    ['a top-level token', { token: 'xoxb-1' }, 'token'],
    ['a nested password', { db: { password: 'hunter2' } }, 'db.password'],
    ['a secret two levels down', { config: { slack: { signingSecret: 's3cr3t' } } }, 'config.slack.signingSecret'],
    ['an authorization header', { req: { headers: { authorization: 'Bearer abc' } } }, 'req.headers.authorization'],
    ['a cookie header', { headers: { cookie: 'session=abc' } }, 'headers.cookie'],
    ['a set-cookie header', { res: { headers: { 'set-cookie': 'session=abc' } } }, 'res.headers.set-cookie'],
  ])('redacts %s', (_name, fields, path) => {
    const { logger, lines } = captureLogs('info');
    logger.info(fields, 'entry');
    const value = path.split('.').reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], lines()[0]);
    expect(value).toBe('[redacted]');
  });

  it('keeps fields that are not secret', () => {
    const { logger, lines } = captureLogs('info');
    logger.info({ req: { headers: { 'user-agent': 'Slackbot' } }, incident: 'INC-42' }, 'entry');
    expect(lines()[0]).toMatchObject({ req: { headers: { 'user-agent': 'Slackbot' } }, incident: 'INC-42' });
  });

  it('creates a pretty logger without throwing', () => {
    expect(() => createLogger({ level: 'silent', pretty: true })).not.toThrow();
  });
});
