import { defineConfig } from 'vitest/config';

/**
 * Two projects. `unit`: pure code, no Redis, no network, no real waiting (fake clocks and sleeps);
 * the whole set runs in a few seconds (`npm run test:unit`). `integration`: real Redis under a unique
 * queue prefix per suite, the vendor simulators, child processes and the privacy evaluation corpus.
 * `npm test` runs both.
 */
const UNIT = [
  'test/unit/**/*.test.ts',
  'test/privacy/recognisers.test.ts',
  'test/privacy/leak-guard.test.ts',
  'test/privacy/pseudonymise.test.ts',
  'test/privacy/scan-equivalence.test.ts',
  'test/privacy/cli.test.ts',
  'test/privacy-output/reidentify.test.ts',
  'test/intake/signature.test.ts',
  'test/compliance/documents.test.ts',
  'test/compliance/drift.test.ts',
];

export default defineConfig({
  test: {
    projects: [
      // Pure modules: one worker thread reused across files (no per-file isolation cost).
      { extends: true, test: { name: 'unit', include: UNIT, testTimeout: 5_000, pool: 'threads', isolate: false } },
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
