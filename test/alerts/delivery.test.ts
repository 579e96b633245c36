import { describe, expect, it } from 'vitest';
import { canonicalJson, componentLabels, severityOfLabel, sourceTime } from '../../src/alerts/delivery.ts';
import { verifyPagerDutySignature } from '../../src/alerts/sources/pagerduty.ts';
import { pagerDutySignature } from './helpers.ts';

describe('severityOfLabel', () => {
  it.each([
    ['critical', 'SEV1'],
    ['Critical', 'SEV1'],
    ['error', 'SEV2'],
    ['high', 'SEV2'],
    ['warning', 'SEV3'],
    ['info', 'SEV4'],
    ['low', 'SEV4'],
    ['1', 'SEV1'],
    [' 4 ', 'SEV4'],
    ['sev2', 'SEV2'],
    ['SEV3', 'SEV3'],
    [3, 'SEV3'],
    ['5', undefined],
    ['major', undefined],
    [0, undefined],
    [null, undefined],
  ])('%j → %s', (label, severity) => {
    expect(severityOfLabel(label)).toBe(severity);
  });
});

describe('componentLabels', () => {
  it('reads component, service and the comma-separated components', () => {
    expect(componentLabels({ component: 'api', service: 'checkout', components: 'db, cache ,', alertname: 'x' })).toEqual(['api', 'checkout', 'db', 'cache']);
  });
});

describe('sourceTime', () => {
  it.each([
    ['2025-04-25T11:00:35.042Z', '2025-04-25T11:00:35.042Z'],
    ['2021-10-12T09:51:03.157076+02:00', '2021-10-12T07:51:03.157Z'],
    ['0001-01-01T00:00:00Z', undefined],
    ['not a time', undefined],
    ['+275760-09-13T00:00:00.000Z', undefined],
  ])('%s → %s', (text, iso) => {
    expect(sourceTime(text)?.toISOString()).toBe(iso);
  });
});

describe('canonicalJson', () => {
  it('is the same for the same value whatever the key order', () => {
    expect(canonicalJson({ b: [1, { d: 2, c: 3 }], a: 'x' })).toBe(canonicalJson({ a: 'x', b: [1, { c: 3, d: 2 }] }));
  });
});

describe('verifyPagerDutySignature', () => {
  const body = new TextEncoder().encode('{"event":{"id":"01"}}');
  const text = new TextDecoder().decode(body);
  it.each([
    ['one signature by the only secret', pagerDutySignature(text, 'a'), ['a'], true],
    ['the second of two signatures', `${pagerDutySignature(text, 'x')},${pagerDutySignature(text, 'b')}`, ['a', 'b'], true],
    ['spaces after the comma', `${pagerDutySignature(text, 'x')}, ${pagerDutySignature(text, 'a')}`, ['a'], true],
    ['upper-case hex', pagerDutySignature(text, 'a').toUpperCase().replace('V1=', 'v1='), ['a'], true],
    ['a signature by another secret', pagerDutySignature(text, 'x'), ['a', 'b'], false],
    ['another version', pagerDutySignature(text, 'a').replace('v1=', 'v0='), ['a'], false],
    ['a truncated signature', pagerDutySignature(text, 'a').slice(0, -2), ['a'], false],
    ['no secret configured', pagerDutySignature(text, 'a'), [], false],
    ['an empty header', '', ['a'], false],
  ])('%s', (_name, header, secrets, valid) => {
    expect(verifyPagerDutySignature(body, header, secrets)).toBe(valid);
  });
});
