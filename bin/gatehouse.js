#!/usr/bin/env node
// Runs the compiled CLI (`npm run build` → dist/) when it is a build of the sources as they are now; otherwise the
// TypeScript sources through tsx's loader, so a fresh checkout runs with no build step and an edit is never shadowed by
// a stale build. See docs/decisions/0014-test-projects-and-compiled-cli.md.
import { compiledEntry, compiledIsCurrent } from './compiled.js';

if (compiledIsCurrent()) {
  await import(compiledEntry);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
}
