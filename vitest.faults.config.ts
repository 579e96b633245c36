import { defineConfig } from 'vitest/config';

/**
 * The fault suite (`npm run test:faults`): real tsuiki processes, real PostgreSQL, targets
 * that fail, hostile and random input. Slower than `npm test`, so kept apart from it.
 */
export default defineConfig({
  test: {
    include: ['test/faults/**/*.test.ts'],
    testTimeout: 240_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Process-level faults compete for two cores; one file at a time keeps them honest.
    fileParallelism: false,
  },
});
