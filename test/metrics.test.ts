import { describe, expect, it } from 'vitest';
import { createMetrics } from '../src/metrics.ts';

describe('createMetrics', () => {
  it('can be created more than once in a process', () => {
    expect(() => {
      createMetrics();
      createMetrics();
    }).not.toThrow();
  });

  it('keeps each registry separate', async () => {
    const one = createMetrics();
    const two = createMetrics();
    one.commandsTotal.inc({ verb: 'declare', platform: 'slack', outcome: 'ok' });
    expect(await one.render()).toMatch(/commands_total\{verb="declare",platform="slack",outcome="ok"\} 1/);
    expect(await two.render()).not.toMatch(/commands_total\{/);
  });

  it('exposes Node default metrics', async () => {
    expect(await createMetrics().render()).toContain('process_cpu_user_seconds_total');
  });

  it.each([
    ['http_request_duration_seconds', 'histogram'],
    ['commands_total', 'counter'],
    ['command_duration_seconds', 'histogram'],
    ['deliveries_total', 'counter'],
    ['db_ready', 'gauge'],
  ])('declares %s as a %s', async (name, type) => {
    expect(await createMetrics().render()).toContain(`# TYPE ${name} ${type}`);
  });

  it('records deliveries by target and outcome', async () => {
    const metrics = createMetrics();
    metrics.deliveriesTotal.inc({ target: 'email', outcome: 'ok' }, 3);
    expect(await metrics.render()).toMatch(/deliveries_total\{target="email",outcome="ok"\} 3/);
  });

  it('names the Prometheus text content type', () => {
    expect(createMetrics().contentType).toMatch(/^text\/plain; version=0\.0\.4/);
  });
});
