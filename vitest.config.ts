import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    allowOnly: !process.env.CI,
    // Each file gets its own tenant and its own storage (a PGlite or a PostgreSQL schema), so files run in parallel.
    fileParallelism: true,
    maxWorkers: 2,
    pool: 'forks',
    reporters: process.env.CI ? ['default'] : ['default'],
  },
});
