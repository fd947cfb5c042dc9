import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { generatedDocs } from './docs/render.js';

/** `npm run docs`: writes the documents generated from code (configuration, errors). */
const root = resolve(import.meta.dirname, '..');
for (const [path, text] of Object.entries(generatedDocs())) {
  writeFileSync(join(root, path), text);
  process.stdout.write(`wrote ${path}\n`);
}
