import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { StorageKind } from '../harness/storage.js';
import { runGatehouseInProcess } from './in-process.js';
import { type CliStore, cliStore, json, runGatehouse, tempDir } from './spawn-cli.js';

interface ClientOut {
  clientId: string;
  clientSecret?: string;
  settings?: Record<string, unknown>;
}

// Each step opens the store afresh (an embedded one: a second or more on a busy machine).
vi.setConfig({ testTimeout: 300_000, hookTimeout: 120_000 });

const isoDate = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * Every CLI operation and refusal against one store. The commands run in this process through the CLI's own entry
 * (`runCli`), each with its own environment, output streams and exit code, opening and closing the store as a
 * `gatehouse` process does; the last tests run the real binary, so that what a shell sees (exit codes, stdout and
 * stderr apart) is proven on a process too. Each store has its own test file, so the two run in parallel.
 */
export const cliSuite = (kind: StorageKind) =>
  describe(`gatehouse CLI on ${kind}`, () => {
    let store: CliStore;
    let files: string;
    const cli = (...args: string[]) => runGatehouseInProcess([...args, ...store.args], { env: store.env });
    let exported: unknown;

    beforeAll(() => {
      store = cliStore(kind);
      files = tempDir();
    });
    afterAll(() => store.drop());

    it('migrates a new store, then reports it up to date', async () => {
      const first = await cli('migrate');
      expect(first).toMatchObject({ code: 0, stderr: '' });
      expect(first.stdout).toMatch(/^applied 0001-initial, /);
      expect(await cli('migrate')).toEqual({ code: 0, stdout: 'up to date\n', stderr: '' });
    });

    it('tenant create, list and show', async () => {
      const created = json(await cli('tenant', 'create', 'acme', '--name', 'Acme', '--mfa', 'social'));
      const acme = {
        id: 'acme',
        name: 'Acme',
        policies: { linking: 'merge_needed', mfa: 'social' },
        hostnames: [],
        createdAt: expect.stringMatching(isoDate),
      };
      expect(created).toEqual(acme);
      expect(json(await cli('tenant', 'list'))).toEqual([acme]);
      expect(json(await cli('tenant', 'show', 'acme'))).toEqual(acme);
    });

    it('client create (secret printed once), list (no secret) and rotate-secret', async () => {
      const created = json<ClientOut>(
        await cli(
          'client',
          'create',
          '--tenant',
          'acme',
          '--client-id',
          'acme-web',
          '--name',
          'Acme web',
          '--redirect-uri',
          'https://acme.example/cb',
          '--redirect-uri',
          'http://localhost:3000/cb',
          '--grant-type',
          'authorization_code',
          '--grant-type',
          'password',
        ),
      );
      expect(created).toEqual({
        clientId: 'acme-web',
        tenantId: 'acme',
        name: 'Acme web',
        public: false,
        redirectUris: ['https://acme.example/cb', 'http://localhost:3000/cb'],
        callbackUrls: [],
        grantTypes: ['authorization_code', 'password'],
        settings: {},
        createdAt: expect.stringMatching(isoDate),
        clientSecret: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      });
      const { clientSecret: _secret, ...withoutSecret } = created;
      expect(json(await cli('client', 'list', '--tenant', 'acme'))).toEqual([withoutSecret]);
      const rotated = json<ClientOut>(await cli('client', 'rotate-secret', 'acme-web', '--tenant', 'acme'));
      expect(rotated.clientSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(rotated.clientSecret).not.toBe(created.clientSecret);
    });

    it('idp set (secret from a file, never printed), list and remove', async () => {
      const secretFile = join(files, 'google-secret');
      writeFileSync(secretFile, 'google-app-secret\n');
      const set = await cli(
        'idp',
        'set',
        'google',
        '--tenant',
        'acme',
        '--kind',
        'google',
        '--client-id',
        'acme.apps.example',
        '--client-secret-file',
        secretFile,
        '--scope',
        'openid',
        '--scope',
        'email',
        '--trust-email',
      );
      const google = {
        id: 'google',
        kind: 'google',
        clientId: 'acme.apps.example',
        hasClientSecret: true,
        scopes: ['openid', 'email'],
        trustEmail: true,
        settings: {},
        // The URL to register at Google.
        callbackUrl: expect.stringMatching(/^https?:\/\/[^/]+\/t\/acme\/SocialAuth\/googleAuthCallback$/),
      };
      expect(json(set)).toEqual(google);
      expect(set.stdout).not.toContain('google-app-secret');
      const github = json(
        await cli(
          'idp',
          'set',
          'github',
          '--tenant',
          'acme',
          '--kind',
          'github',
          '--client-id',
          'gh',
          '--client-secret',
          'gh-secret',
        ),
      );
      expect(github).toMatchObject({ id: 'github', hasClientSecret: true });
      expect(json(await cli('idp', 'list', '--tenant', 'acme'))).toEqual([github, google]);
      expect(json(await cli('idp', 'remove', 'github', '--tenant', 'acme'))).toEqual({
        removed: 'github',
        tenant: 'acme',
      });
      expect(json(await cli('idp', 'list', '--tenant', 'acme'))).toEqual([google]);
    });

    it('import adds users idempotently; user list, show and disable', async () => {
      const file = join(files, 'users.json');
      writeFileSync(
        file,
        JSON.stringify({
          tenants: [
            {
              id: 'acme',
              users: [
                { email: 'ada@example.com', password: 'correct horse battery', emailVerified: true, firstName: 'Ada' },
                { email: 'grace@example.com' },
              ],
            },
          ],
        }),
      );
      const counts = (created: number, unchanged: number) => ({ created, updated: 0, unchanged });
      expect(json(await cli('import', file))).toEqual({
        tenants: counts(0, 1),
        clients: counts(0, 0),
        idps: counts(0, 0),
        users: counts(2, 0),
        secrets: [],
      });
      expect(json(await cli('import', file))).toMatchObject({ users: counts(0, 2) });

      // Users imported in one transaction share a creation time: the page order is then by id.
      type Page = { items: { email: string; id: string }[]; next: string | null };
      const page = json<Page>(await cli('user', 'list', '--tenant', 'acme', '--limit', '1'));
      expect(page.items).toHaveLength(1);
      expect(page.next).toBe(page.items[0]?.id);
      const rest = json<Page>(await cli('user', 'list', '--tenant', 'acme', '--after', page.next ?? ''));
      expect([...page.items, ...rest.items].map((u) => u.email).sort()).toEqual([
        'ada@example.com',
        'grace@example.com',
      ]);
      expect(rest.next).toBeNull();
      const ada = [...page.items, ...rest.items].find((u) => u.email === 'ada@example.com');
      const shown = json(await cli('user', 'show', 'ada@example.com', '--tenant', 'acme'));
      expect(shown).toEqual({
        id: ada?.id,
        tenantId: 'acme',
        email: 'ada@example.com',
        emailVerified: true,
        hasPassword: true,
        firstName: 'Ada',
        lastName: null,
        displayName: null,
        profile: {},
        status: 'active',
        passwordResetRequired: false,
        createdAt: expect.stringMatching(isoDate),
        updatedAt: expect.stringMatching(isoDate),
        identities: [],
      });
      const disabled = json(await cli('user', 'disable', ada?.id ?? '', '--tenant', 'acme'));
      expect(disabled).toMatchObject({ email: 'ada@example.com', status: 'disabled' });
      expect(json(await cli('user', 'enable', 'ada@example.com', '--tenant', 'acme'))).toMatchObject({
        status: 'active',
      });
    });

    it('keys list and rotate', async () => {
      type Key = { kid: string; alg: string; state: string };
      const before = json<Key[]>(await cli('keys', 'list', '--tenant', 'acme'));
      expect(before.map((k) => `${k.alg} ${k.state}`)).toEqual([
        'RS256 active',
        'RS256 next',
        'ES256 active',
        'ES256 next',
      ]);
      const after = json<Key[]>(await cli('keys', 'rotate', '--tenant', 'acme'));
      // Oldest first (of one moment: by algorithm, active first): the keys from before, then the new next keys.
      expect(after.map((k) => [k.kid, `${k.alg} ${k.state}`])).toEqual([
        [before[1]?.kid, 'RS256 active'],
        [before[0]?.kid, 'RS256 retired'],
        [before[3]?.kid, 'ES256 active'],
        [before[2]?.kid, 'ES256 retired'],
        [expect.any(String), 'RS256 next'],
        [expect.any(String), 'ES256 next'],
      ]);
    });

    it('export writes the configuration with secrets only as digests, sealed values and hashes', async () => {
      exported = json(await cli('export'));
      const text = JSON.stringify(exported);
      expect(text).not.toMatch(/google-app-secret|correct horse battery/);
      expect(exported).toMatchObject({
        version: 1,
        tenants: [
          {
            id: 'acme',
            clients: [{ clientId: 'acme-web', clientSecretDigest: expect.any(String) }],
            idps: [{ id: 'google', clientSecretEncrypted: expect.stringMatching(/^v1\./) }],
            users: [
              { email: 'ada@example.com', passwordHash: expect.stringMatching(/^\$argon2id\$/) },
              { email: 'grace@example.com' },
            ],
          },
        ],
      });
      const output = join(files, 'export.json');
      expect(await cli('export', '--tenant', 'acme', '--output', output)).toEqual({ code: 0, stdout: '', stderr: '' });
    });

    it('import of the export into an empty store reproduces the configuration', async () => {
      const empty = cliStore(kind);
      try {
        // The same master key seals the IdP secrets on both sides: carried over for the embedded store.
        const env = kind === 'pglite' ? { ...empty.env, GATEHOUSE_MASTER_KEY: await masterKeyOf(store) } : empty.env;
        const into = (...args: string[]) => runGatehouseInProcess([...args, ...empty.args], { env });
        const result = json(await into('import', join(files, 'export.json')));
        expect(result).toMatchObject({
          tenants: { created: 1 },
          clients: { created: 1 },
          idps: { created: 1 },
          users: { created: 2 },
        });
        expect(json(await into('export'))).toEqual(exported);
      } finally {
        await empty.drop();
      }
    });

    describe('refusals: one line on stderr, exit code 1, nothing written', () => {
      it.each([
        [
          ['tenant', 'create', 'Bad!'],
          "gatehouse: invalid_request: tenant.id: Expected string to match '^[a-z0-9][a-z0-9-]{0,62}$'\n",
        ],
        [['tenant', 'create', 'acme'], 'gatehouse: conflict: tenant acme already exists\n'],
        [['tenant', 'show', 'ghost'], 'gatehouse: not_found: tenant "ghost" does not exist\n'],
        [['client', 'create', '--tenant', 'ghost'], 'gatehouse: not_found: tenant "ghost" does not exist\n'],
        [
          ['client', 'create', '--tenant', 'acme', '--client-id', 'x y'],
          "gatehouse: invalid_request: client.clientId: Expected string to match '^[A-Za-z0-9._~-]{3,128}$'\n",
        ],
        [
          ['client', 'rotate-secret', 'nobody', '--tenant', 'acme'],
          'gatehouse: not_found: client "nobody" does not exist in tenant acme\n',
        ],
        [
          ['idp', 'set', 'x', '--tenant', 'acme', '--kind', 'google', '--client-id', 'a', '--settings', '{bad'],
          'gatehouse: --settings: must be a JSON object\n',
        ],
        [
          ['idp', 'remove', 'nothing', '--tenant', 'acme'],
          'gatehouse: not_found: connection "nothing" does not exist\n',
        ],
        [
          ['user', 'show', 'nobody@example.com', '--tenant', 'acme'],
          'gatehouse: not_found: user "nobody@example.com" does not exist\n',
        ],
        [['user', 'list', '--tenant', 'acme', '--limit', '0'], 'gatehouse: --limit: must be 1–500\n'],
        [['import', '/nonexistent/doc.json'], 'gatehouse: /nonexistent/doc.json: cannot be read (ENOENT)\n'],
      ])('gatehouse %j', async (args, stderr) => {
        expect(await cli(...args)).toEqual({ code: 1, stdout: '', stderr });
      });

      it('refuses an invalid import document as a whole', async () => {
        const file = join(files, 'bad.json');
        writeFileSync(
          file,
          JSON.stringify({
            tenants: [{ id: 'new-one' }, { id: 'acme', clients: [{ clientId: 'acme-web', public: true }] }],
          }),
        );
        expect(await cli('import', file)).toEqual({
          code: 1,
          stdout: '',
          stderr:
            'gatehouse: invalid_request: document.tenants.1.clients.0.public: an existing client cannot change between public and confidential; delete it first\n',
        });
        writeFileSync(join(files, 'not-json.json'), '{"tenants": [');
        expect(await cli('import', join(files, 'not-json.json'))).toEqual({
          code: 1,
          stdout: '',
          stderr: `gatehouse: ${join(files, 'not-json.json')}: not valid JSON\n`,
        });
      });

      it('reports a missing required option the commander way, on one line', async () => {
        const result = await cli('client', 'list');
        expect(result.code).toBe(1);
        expect(result.stderr).toBe("error: required option '--tenant <id>' not specified (add --help for usage)\n");
      });

      it('left the configuration as it was', async () => {
        expect(json(await cli('export'))).toEqual(exported);
      });
    });

    it('client create --consent required makes a third-party client; another value is refused', async () => {
      const created = json<ClientOut>(
        await cli('client', 'create', '--tenant', 'acme', '--client-id', 'acme-partner', '--consent', 'required'),
      );
      expect(created.settings).toEqual({ consent: 'required' });
      const refused = await cli(
        'client',
        'create',
        '--tenant',
        'acme',
        '--client-id',
        'acme-other',
        '--consent',
        'maybe',
      );
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/^gatehouse: invalid_request: client\.settings\.consent: .+\n$/);
      expect(json<ClientOut[]>(await cli('client', 'list', '--tenant', 'acme')).map((c) => c.clientId)).not.toContain(
        'acme-other',
      );
    });

    it('client create takes the ID token algorithm and the allowed origins; a bad origin is refused', async () => {
      const created = json<ClientOut>(
        await cli(
          'client',
          'create',
          '--tenant',
          'acme',
          '--client-id',
          'acme-spa',
          '--public',
          '--id-token-alg',
          'ES256',
          '--allowed-origin',
          'https://spa.acme.example',
          '--allowed-origin',
          'http://localhost:5173',
        ),
      );
      expect(created.settings).toEqual({
        idTokenSignedResponseAlg: 'ES256',
        allowedOrigins: ['https://spa.acme.example', 'http://localhost:5173'],
      });
      const refused = await cli(
        'client',
        'create',
        '--tenant',
        'acme',
        '--client-id',
        'acme-spa-two',
        '--allowed-origin',
        'https://spa.acme.example/app',
      );
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/^gatehouse: invalid_request: client\.settings\.allowedOrigins\.0: .+\n$/);
    });

    describe('the gatehouse binary, as a shell runs it', () => {
      const binary = (...args: string[]) => runGatehouse([...args, ...store.args], { env: store.env });

      it('prints the same JSON on stdout, nothing on stderr, and exits 0', async () => {
        const shown = await cli('tenant', 'show', 'acme');
        expect(await binary('tenant', 'show', 'acme')).toEqual({ code: 0, stdout: shown.stdout, stderr: '' });
      });

      it('refuses in one line on stderr, nothing on stdout, exit code 1', async () => {
        expect(await binary('tenant', 'show', 'ghost')).toEqual({
          code: 1,
          stdout: '',
          stderr: 'gatehouse: not_found: tenant "ghost" does not exist\n',
        });
      });
    });
  });

/** The master key the embedded store generated into its data dir. */
const masterKeyOf = async (store: CliStore): Promise<string> => {
  const { readFileSync } = await import('node:fs');
  return readFileSync(join(store.args[1] ?? '', 'master-key'), 'utf8').trim();
};
