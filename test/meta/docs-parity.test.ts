import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generatedDocs } from '../../scripts/docs/render.js';
import { envAliases, envName } from '../../src/config/env-names.js';
import { type Config, ConfigSchema } from '../../src/config/schema.js';
import { connectorTypes } from '../../src/connectors/registry.js';
import { errorCodes } from '../../src/core/errors.js';
import { startGatehouse } from '../harness/gatehouse.js';

const root = resolve(import.meta.dirname, '../..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');

describe('docs parity', () => {
  it.each(
    Object.entries(generatedDocs()),
  )('%s is what `npm run docs` generates (run it after a change)', (path, text) => {
    expect(read(path)).toBe(text);
  });

  it('docs/errors.md has a section for every error code and for nothing else', () => {
    const headings = [...read('docs/errors.md').matchAll(/^## (\S+)$/gm)].map((m) => m[1]);
    expect(headings).toEqual(errorCodes);
  });

  it('docs/configuration.md documents every setting', () => {
    const text = read('docs/configuration.md');
    for (const field of Object.keys(ConfigSchema.properties)) {
      expect(text).toContain(`| \`${field}\` | \`${envName(field)}\``);
      const description = (ConfigSchema.properties[field as keyof Config] as { description?: string }).description;
      expect(description, `${field} has a description`).toMatch(/\S{3}/);
    }
  });

  it('the README names every environment variable', () => {
    const readme = read('README.md');
    const names = Object.keys(ConfigSchema.properties).flatMap((field) => {
      const alias = envAliases[field as keyof Config];
      return alias === undefined ? [envName(field)] : [envName(field), alias];
    });
    expect(names.filter((name) => !readme.includes(`\`${name}\``))).toEqual([]);
  });

  it('every connector kind has its page in docs/connectors/', () => {
    expect(connectorTypes.filter((kind) => !existsSync(join(root, 'docs/connectors', `${kind}.md`)))).toEqual([]);
  });

  it('every relative link of the README and the admin docs points at a file that exists', () => {
    for (const doc of ['README.md', 'docs/import-export.md', 'docs/surfaces/admin.md', 'docs/configuration.md']) {
      const base = join(root, doc, '..');
      for (const [, target] of read(doc).matchAll(/\]\(((?!https?:|#|mailto:)[^)#\s]+)(?:#[^)]*)?\)/g))
        expect(existsSync(resolve(base, target ?? '')), `${doc} → ${target}`).toBe(true);
    }
  });

  it('the example of docs/import-export.md imports, and a second import changes nothing', async () => {
    const example = /```json\n([\s\S]*?)\n```/.exec(read('docs/import-export.md'))?.[1] ?? '';
    const gh = await startGatehouse({ storage: 'pglite' });
    try {
      const first = await gh.core.configIo.importConfig(JSON.parse(example));
      expect(first).toMatchObject({
        tenants: { created: 1 },
        clients: { created: 2 },
        idps: { created: 2 },
        users: { created: 1 },
      });
      const second = await gh.core.configIo.importConfig(JSON.parse(example));
      expect(second).toMatchObject({
        tenants: { unchanged: 1 },
        clients: { unchanged: 2 },
        idps: { unchanged: 2 },
        users: { unchanged: 1 },
      });
    } finally {
      await gh.close();
    }
  }, 120_000);
});
