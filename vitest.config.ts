import { defineConfig } from 'vitest/config';

// Two projects: `unit` (broker-less, fast, also run under Node 24 by .ci/run) and `int` (real Kafka broker,
// schema registry and HTTP servers on 127.0.0.1; the global setup starts the local ones when none is configured).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['{topology,processors,schemas,connectors,ops}/**/*.test.ts'],
          exclude: ['**/*.int.test.ts', 'node_modules/**'],
          testTimeout: 20_000,
          // One module graph per worker, not per file: importing the code anew for each of ~150 files was ~70% of
          // the project's time (90 s → 26 s on 2 cores, and .ci/run runs it three times). Tests must therefore
          // leave no state behind; they pass with files and tests shuffled (`--sequence.shuffle`).
          isolate: false,
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: 'int',
          include: ['{topology,processors,schemas,connectors,ops}/**/*.int.test.ts'],
          globalSetup: ['ops/testing/global-setup.ts'],
          testTimeout: 180_000,
          hookTimeout: 120_000,
          // 2 cores and one broker: run integration files two at a time.
          maxWorkers: 2,
          fileParallelism: true,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
