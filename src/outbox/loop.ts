/** A polling loop: runs `tick` until it reports no work, then sleeps; `stop()` waits for the running tick. */
export interface PollLoop {
  start(): void;
  stop(): Promise<void>;
  /** Runs ticks until one finds nothing to do; for tests and the CLI. */
  drain(): Promise<void>;
  /** Work arrived: tick now instead of at the next poll (and again after a tick under way). */
  kick(): void;
}

/** `tick` returns how many items it handled; 0 means "sleep until the next poll". */
export function createPollLoop(tick: () => Promise<number>, options: { intervalMs: number; onError: (e: unknown) => void }): PollLoop {
  let running = false;
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<void> | undefined;
  let wake: (() => void) | undefined;
  let kicked = false;

  const run = async () => {
    while (running) {
      kicked = false;
      let handled = 0;
      try {
        handled = await tick();
      } catch (e) {
        options.onError(e);
      }
      if (!running) break;
      if (handled === 0 && !kicked) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          timer = setTimeout(resolve, options.intervalMs);
        });
      }
    }
  };

  return {
    start() {
      if (running) return;
      running = true;
      current = run();
    },
    async stop() {
      running = false;
      if (timer) clearTimeout(timer);
      wake?.();
      await current;
    },
    kick() {
      kicked = true;
      wake?.();
    },
    async drain() {
      while ((await tick()) > 0) {
        // keep going until a tick finds nothing due
      }
    },
  };
}
