import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');

/**
 * The wire names of the dialects the surfaces speak (the Security API, the Flex APIs, the STS): each belongs in its
 * surface folder, which translates the core's own names at the edge (docs/architecture.md).
 */
const dialectNames: readonly RegExp[] = [
  /cyberark/i,
  /security api/i,
  /\bsecurity_api\b/,
  /SocialAuth|AuthCallback|ExtIdpAuthChallengeState|customerId|IdpName/,
  /\b(UP|OATH|RECOVERY|EMAIL)\b/,
  /\bflex\b/i,
  /sharetribe|auth_with_idp|create_with_idp|current_user/i,
  /\bsts\b/i,
  /farfetch|ff_token|\bnewuser\b|\/connect\//i,
];

const filesUnder = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(join(dir, entry.name)) : [join(dir, entry.name)],
  );

describe('the core speaks no dialect', () => {
  const coreFiles = filesUnder(join(root, 'src/core')).filter((file) => file.endsWith('.ts'));

  it('reads the whole core', () => {
    expect(coreFiles.map((file) => relative(root, file))).toContain('src/core/index.ts');
  });

  it('names no wire name of a surface under src/core, in code or comments', () => {
    const found = coreFiles.flatMap((file) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .flatMap((line, n) =>
          dialectNames.some((name) => name.test(line)) ? [`${relative(root, file)}:${n + 1}: ${line.trim()}`] : [],
        ),
    );
    expect(found).toEqual([]);
  });

  it('would see one', () => {
    const line = "const target = { kind: 'security_api' }; // the STS newuser claim";
    expect(dialectNames.filter((name) => name.test(line))).toHaveLength(3);
  });
});
