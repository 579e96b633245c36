import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { boundedStop, stopOnSignals } from '../src/main.ts';
import { captureLogs } from './helpers/log-capture.ts';

const never = () => new Promise<void>(() => {});

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('boundedStop', () => {
  it('says stopped when the stop finishes within the grace, and warns of nothing', async () => {
    const { logger, lines } = captureLogs('info');
    await expect(boundedStop(async () => {}, 10_000, logger)).resolves.toBe('stopped');
    expect(lines().filter((l) => l.level === 40)).toEqual([]);
  });

  it('gives up on a stop that never ends once the grace is over, naming what still runs', async () => {
    const { logger, lines } = captureLogs('info');
    let outcome: string | undefined;
    void boundedStop(never, 10_000, logger, () => ['managers', 'database']).then((o) => (outcome = o));
    await vi.advanceTimersByTimeAsync(9_999);
    expect(outcome).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(outcome).toBe('timed out');
    expect(lines().find((l) => l.level === 40)).toMatchObject({ graceSeconds: 10, running: ['managers', 'database'] });
  });

  it('with no grace, does not wait at all', async () => {
    const { logger } = captureLogs('info');
    const outcome = boundedStop(never, 0, logger);
    await vi.advanceTimersByTimeAsync(0);
    await expect(outcome).resolves.toBe('timed out');
  });

  it('says failed, and logs why, when the stop throws', async () => {
    const { logger, lines } = captureLogs('info');
    await expect(boundedStop(async () => Promise.reject(new Error('database gone')), 10_000, logger)).resolves.toBe('failed');
    expect(JSON.stringify(lines())).toContain('database gone');
  });
});

describe('stopOnSignals', () => {
  function setup(stop: () => Promise<void>) {
    const signals = new EventEmitter();
    const exit = vi.fn<(code: number) => void>();
    const { logger, lines } = captureLogs('info');
    stopOnSignals({ stop, running: () => ['teams'] }, 10_000, logger, { signals, exit });
    return { signals, exit, lines };
  }

  it('exits 0 once the server has stopped', async () => {
    const { signals, exit } = setup(async () => {});
    signals.emit('SIGTERM', 'SIGTERM');
    await vi.advanceTimersByTimeAsync(0);
    expect(exit).toHaveBeenCalledExactlyOnceWith(0);
  });

  it('exits 0 after the grace when the server never stops, not before', async () => {
    const { signals, exit, lines } = setup(never);
    signals.emit('SIGTERM', 'SIGTERM');
    await vi.advanceTimersByTimeAsync(9_999);
    expect(exit).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(exit).toHaveBeenCalledExactlyOnceWith(0);
    expect(lines().find((l) => l.level === 40)).toMatchObject({ running: ['teams'] });
  });

  it('exits at once on a second signal', async () => {
    const { signals, exit } = setup(never);
    signals.emit('SIGTERM', 'SIGTERM');
    signals.emit('SIGINT', 'SIGINT');
    expect(exit).toHaveBeenCalledExactlyOnceWith(130);
  });
});
