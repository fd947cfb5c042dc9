import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Secret, TOTP } from 'otpauth';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createDatabase } from '../../src/store/database.js';
import { knownMigrations } from '../../src/store/migrate.js';
import { dumpTables } from '../harness/backup.js';
import type { EmulatorHarness } from '../harness/emulator.js';
import { startGatehouse } from '../harness/gatehouse.js';
import { apps, claimsOf, postForm, startSocialFixture } from '../harness/social.js';
import { type StorageKind, storageKinds, type TestStorage, tableCounts, testDatabaseUrl } from '../harness/storage.js';
import { runGatehouseInProcess } from './in-process.js';
import { type CliStore, cliStore, json, masterKey, runGatehouse, tempDir } from './spawn-cli.js';

/** The schema migration of a store this code has brought up to date. */
const latestMigration = knownMigrations().at(-1);

vi.setConfig({ testTimeout: 300_000, hookTimeout: 300_000 });

const password = 'correct horse battery staple';
const otherEngine = (kind: StorageKind): StorageKind => (kind === 'pglite' ? 'postgres' : 'pglite');

/** A store for spawned CLIs, under the one master key every store of this file shares (PostgreSQL's already has it). */
const keyedStore = (kind: StorageKind): CliStore => {
  const store = cliStore(kind);
  return { ...store, env: { ...store.env, GATEHOUSE_MASTER_KEY: masterKey } };
};

/** Opens, in this process, the store a spawned CLI uses (an embedded store only while no CLI has it open). */
const openStore = async (store: CliStore): Promise<TestStorage> => {
  if (store.kind === 'pglite') {
    const db = await createDatabase({ driver: 'pglite', dataDir: join(String(store.args[1]), 'pgdata') });
    return { kind: 'pglite', db, configFields: {}, close: () => db.destroy() };
  }
  const schema = String(store.env.GATEHOUSE_DATABASE_SCHEMA);
  const db = await createDatabase({ driver: 'postgres', url: testDatabaseUrl, poolSize: 2, schema });
  return {
    kind: 'postgres',
    db,
    schema,
    configFields: { databaseUrl: testDatabaseUrl, databaseSchema: schema },
    close: () => db.destroy(),
  };
};

const withStore = async <T>(store: CliStore, action: (storage: TestStorage) => Promise<T>): Promise<T> => {
  const storage = await openStore(store);
  try {
    return await action(storage);
  } finally {
    await storage.close();
  }
};

/** Runs a command in this process, through the CLI's entry (see in-process.ts); it opens and closes the store itself. */
const cli = (store: CliStore, ...args: string[]) => runGatehouseInProcess([...args, ...store.args], { env: store.env });

describe.each(storageKinds)('gatehouse backup and restore, from %s', (source) => {
  let from: CliStore;
  let idp: EmulatorHarness;
  let files: string;
  let archiveFile: string;
  let before: Record<string, unknown[]>;
  let socialSub: string;
  let clientId: string;
  let clientSecret: string;

  /** Signs the Google user in by token exchange on a Gatehouse over `storage`; answers its `sub`. */
  const googleSignIn = async (storage: TestStorage): Promise<unknown> => {
    const gh = await startGatehouse({ sharedStorage: storage, config: { masterKey } });
    try {
      const { id_token } = await idp.mint('google', {
        clientId: apps.google,
        sub: 'g-cli',
        email: 'cli@backup.example',
        emailVerified: true,
      });
      const response = await postForm(`${gh.issuer('cli')}/token`, {
        grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
        subject_token: String(id_token),
        subject_token_type: 'urn:ietf:params:oauth:token-type:id_token',
        subject_issuer: 'google',
        client_id: clientId,
        client_secret: clientSecret,
      });
      expect(response.status).toBe(200);
      return claimsOf(response.body.access_token).sub;
    } finally {
      await gh.close();
    }
  };

  beforeAll(async () => {
    from = keyedStore(source);
    files = tempDir();
    archiveFile = join(files, 'backup.json');
    expect(await cli(from, 'migrate')).toMatchObject({ code: 0 });
    // A social user, a password user with TOTP and recovery codes, and signing keys, written by a Gatehouse over the
    // same store; the emulator stays up for the sign-ins after the restores.
    await withStore(from, async (storage) => {
      const f = await startSocialFixture({ tenantId: 'cli', start: { sharedStorage: storage, config: { masterKey } } });
      idp = f.idp;
      clientId = f.clientId;
      clientSecret = f.clientSecret;
      try {
        const user = await f.gh.core.users.create('cli', {
          email: 'pat@backup.example',
          password,
          emailVerified: true,
        });
        const { secret } = await f.gh.core.mfa.enrolment.beginTotp(f.tenant, user, {
          authTime: new Date(),
          amr: ['pwd'],
        });
        await f.gh.core.mfa.enrolment.confirmTotp('cli', user.id, TOTP.generate({ secret: Secret.fromBase32(secret) }));
      } finally {
        await f.gh.close();
      }
      socialSub = String(await googleSignIn(storage));
      before = await dumpTables(storage.db);
    });
  });
  afterAll(async () => {
    await idp?.close();
    await from?.drop();
  });

  it('writes the archive to a file only it can read, and to stdout alike', async () => {
    const written = await cli(from, 'backup', '--output', archiveFile);
    expect(written).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(statSync(archiveFile).mode & 0o777).toBe(0o600);
    const archive = JSON.parse(readFileSync(archiveFile, 'utf8')) as {
      format: string;
      tables: Record<string, unknown[]>;
    };
    expect(archive.format).toBe('gatehouse-backup/1');
    for (const [table, rows] of Object.entries(before)) expect(archive.tables[table], table).toHaveLength(rows.length);
    // The real binary streams the archive to its stdout, a pipe here.
    const printed = json<{ tables: unknown }>(await runGatehouse(['backup', ...from.args], { env: from.env }));
    expect(printed.tables).toEqual(archive.tables);
  });

  describe.each([source, otherEngine(source)])('into a new store on %s', (target) => {
    let to: CliStore;
    beforeAll(async () => {
      to = keyedStore(target);
      expect(await cli(to, 'migrate')).toMatchObject({ code: 0 });
    });
    afterAll(() => to?.drop());

    it('restores every row of every table, and the social user signs in as before', async () => {
      const restored = await cli(to, 'restore', archiveFile);
      expect(restored.stderr).toBe('');
      expect(json(restored)).toEqual({
        format: 'gatehouse-backup/1',
        migration: latestMigration,
        takenAt: expect.any(String),
        restored: Object.fromEntries(Object.entries(before).map(([table, rows]) => [table, rows.length])),
      });
      await withStore(to, async (storage) => {
        expect(await dumpTables(storage.db)).toEqual(before);
        const users = (await tableCounts(storage.db)).users;
        expect(await googleSignIn(storage)).toBe(socialSub);
        expect((await tableCounts(storage.db)).users).toBe(users);
        expect(
          await storage.db.selectFrom('users').select('id').where('email', '=', 'pat@backup.example').execute(),
        ).toHaveLength(1);
      });
    });

    it('refuses a store that is no longer empty, in one line, writing nothing', async () => {
      const counts = await withStore(to, (storage) => tableCounts(storage.db));
      const refused = await cli(to, 'restore', archiveFile);
      expect(refused.code).toBe(1);
      expect(refused.stdout).toBe('');
      expect(refused.stderr).toMatch(
        /^gatehouse: conflict: the store is not empty \(tenants, .* hold rows\): restore only into a new, empty store\n$/,
      );
      expect(await withStore(to, (storage) => tableCounts(storage.db))).toEqual(counts);
    });
  });

  it('refuses another master key, a corrupt, truncated or newer archive, each in one line, writing nothing', async () => {
    const to = keyedStore(otherEngine(source));
    try {
      expect(await cli(to, 'migrate')).toMatchObject({ code: 0 });
      const empty = await withStore(to, (storage) => tableCounts(storage.db));
      const text = readFileSync(archiveFile, 'utf8');
      const variant = (name: string, content: string) => {
        const file = join(files, name);
        writeFileSync(file, content);
        return file;
      };
      const corrupt = text.replace('"email":"pat@backup.example"', '"email":"pam@backup.example"');
      expect(corrupt).not.toBe(text);
      const cases: [string[], CliStore, string][] = [
        [
          ['restore', variant('corrupt.json', corrupt)],
          to,
          'gatehouse: invalid_request: the archive is corrupt: its content does not match its sha256\n',
        ],
        [
          ['restore', variant('truncated.json', text.slice(0, Math.floor(text.length / 2)))],
          to,
          `gatehouse: ${join(files, 'truncated.json')}: not a Gatehouse backup: not valid JSON (truncated?)\n`,
        ],
        [
          ['restore', variant('newer.json', text.replace('"gatehouse-backup/1"', '"gatehouse-backup/2"'))],
          to,
          "gatehouse: invalid_request: the archive's format gatehouse-backup/2 is newer than this Gatehouse reads (gatehouse-backup/1); restore with a newer Gatehouse\n",
        ],
      ];
      for (const [args, store, stderr] of cases) {
        expect(await cli(store, ...args)).toEqual({ code: 1, stdout: '', stderr });
      }
      // The restores above opened the store with its key; another key is refused before the archive is read.
      expect(
        await cli({ ...to, env: { ...to.env, GATEHOUSE_MASTER_KEY: 'cd'.repeat(32) } }, 'restore', archiveFile),
      ).toEqual({
        code: 2,
        stdout: '',
        stderr:
          'gatehouse: configuration: GATEHOUSE_MASTER_KEY (masterKey): is not the key this store is sealed with; start every instance with the same master key\n',
      });
      expect(await withStore(to, (storage) => tableCounts(storage.db))).toEqual(empty);
    } finally {
      await to.drop();
    }
  });
});
