import { relative } from 'node:path';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The order files start in, within a group (integration and e2e share one and its two workers): the longest of the
 * last run first, whichever project it belongs to, so that no long file starts near the end while the other worker
 * has finished (vitest's own order runs one project's files, then the next project's). As vitest does, files that
 * failed last time and files never run come first; among those never run, the e2e files (whole processes) first, then
 * the larger files.
 */
class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const { cache, config } = this.ctx;
    const key = (file: TestSpecification) => `${file.project.name}:${relative(config.root, file.moduleId)}`;
    const rank = (file: TestSpecification): [number, number] => {
      const last = cache.getFileTestResults(key(file));
      if (last === undefined || last.failed === true) {
        const size = cache.getFileStats(key(file))?.size ?? 0;
        return [file.project.name === 'e2e' ? 0 : 1, -size];
      }
      return [2, -last.duration];
    };
    return [...files].sort((a, b) => {
      const group = a.project.config.sequence.groupOrder - b.project.config.sequence.groupOrder;
      if (group !== 0) return group;
      const [ra, rb] = [rank(a), rank(b)];
      return ra[0] - rb[0] || ra[1] - rb[1];
    });
  }
}

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
    sequence: { sequencer: LongestFirst },
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
