import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { compiledIsCurrent } from '../../bin/compiled.js';

/**
 * Builds dist/ (`npm run build`) before the end-to-end tests when the sources changed since the last build, so that
 * each spawned `bin/gatehouse.js` runs compiled JavaScript instead of compiling TypeScript on every start. A build
 * with type errors still emits (the typecheck is `npm run check`'s job); should no current build come out, the CLI
 * runs through tsx as in development, only slower.
 */
export default function setup(): void {
  if (compiledIsCurrent()) return;
  const root = resolve(import.meta.dirname, '../..');
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const started = Date.now();
  const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, encoding: 'utf8' });
  const current = compiledIsCurrent();
  process.stderr.write(
    current
      ? `built dist/ for the CLI tests in ${Date.now() - started} ms\n`
      : `no current build of dist/ (tsc exited ${result.status}); the CLI tests run the sources through tsx\n${result.stdout}${result.stderr}`,
  );
}
