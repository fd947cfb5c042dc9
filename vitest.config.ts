import { defineConfig } from 'vitest/config';

/** Pure logic: no database, no Redis, no process, no browser. Runs first, so a broken basic fails in seconds. */
const unit = [
  'test/lib/**/*.test.ts',
  'test/config/**/*.test.ts',
  'test/connectors/registry.test.ts',
  'test/core/metrics-registry.test.ts',
  'test/http/request-id.test.ts',
  'test/surfaces/flex/transit.test.ts',
  'test/meta/core-speaks-no-dialect.test.ts',
];

/** Whole processes and browsers: the CLI as a user runs it, fleets behind a load balancer, Chromium. */
const e2e = [
  'test/cli/**/*.test.ts',
  'test/scale/**/*.test.ts',
  // Every file that drives Chromium is named for it.
  'test/**/*-chromium.test.ts',
];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    allowOnly: !process.env.CI,
    // Each file gets its own tenant and its own storage (a PGlite or a PostgreSQL schema), so files run in parallel.
    fileParallelism: true,
    maxWorkers: 2,
    pool: 'forks',
    reporters: ['default'],
    projects: [
      { extends: true, test: { name: 'unit', include: unit, sequence: { groupOrder: 0 } } },
      // Real PostgreSQL, Redis and loopback IdPs, in process. The same group as e2e: both keep the workers busy.
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: [...unit, ...e2e],
          sequence: { groupOrder: 1 },
        },
      },
      // The CLI runs from compiled JavaScript, built once here when the sources changed since the last build.
      {
        extends: true,
        test: { name: 'e2e', include: e2e, globalSetup: ['test/harness/build-once.ts'], sequence: { groupOrder: 1 } },
      },
    ],
  },
});
