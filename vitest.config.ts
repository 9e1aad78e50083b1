import { defineConfig } from 'vitest/config';

/**
 * Tests are sorted by feature (test/<feature>/). Two projects: `unit` is every suite in a `unit/` folder
 * of a feature: pure code, no Redis, no network, no real waiting (fake clocks and sleeps); the whole set
 * runs in a few seconds (`npm run test:unit`). `integration` is everything else: real Redis under a
 * unique queue prefix per suite, the vendor simulators, child processes and the privacy evaluation
 * corpus. `npm test` runs both.
 */
const UNIT = ['test/**/unit/**/*.test.ts'];

export default defineConfig({
  test: {
    projects: [
      // Pure modules: one worker thread reused across files (no per-file isolation cost).
      {
        extends: true,
        test: { name: 'unit', include: UNIT, testTimeout: 5_000, pool: 'threads', isolate: false },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: UNIT,
          testTimeout: 30_000,
          hookTimeout: 30_000,
          // Suites share one real Redis; each isolates itself with its own queue prefix.
          pool: 'forks',
        },
      },
    ],
  },
});
