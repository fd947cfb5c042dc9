import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createDatabase, type Db } from '../../src/store/database.js';

export type StorageKind = 'pglite' | 'postgres';

/** Both stores, for the suites that must pass on each (store contract, migrations, one smoke test per surface). */
export const storageKinds: StorageKind[] = ['pglite', 'postgres'];

/** The PostgreSQL the tests use; every test file gets its own schema in it. */
export const testDatabaseUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestStorage {
  readonly kind: StorageKind;
  readonly db: Db;
  /** The schema of this storage on PostgreSQL (undefined on PGlite). */
  readonly schema?: string;
  /** The config fields that point a server process at this same storage. */
  readonly configFields: { databaseUrl?: string; databaseSchema?: string; dataDir?: string };
  close(): Promise<void>;
}

/** A fresh, empty store: an in-memory PGlite, or a new PostgreSQL schema dropped on close. */
/** Drops a schema a test made in the test database, with everything in it. */
export const dropTestSchema = async (schema: string): Promise<void> => {
  const client = new pg.Client({ connectionString: testDatabaseUrl });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
};

export const openTestStorage = async (
  kind: StorageKind = 'postgres',
  /** PostgreSQL connections in the pool (5 unless given); the embedded store always has one. */
  options: { poolSize?: number } = {},
): Promise<TestStorage> => {
  if (kind === 'pglite') {
    const db = await createDatabase({ driver: 'pglite', dataDir: 'memory' });
    return { kind, db, configFields: {}, close: () => db.destroy() };
  }
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const db = await createDatabase({
    driver: 'postgres',
    url: testDatabaseUrl,
    poolSize: options.poolSize ?? 5,
    schema,
  });
  return {
    kind,
    db,
    schema,
    configFields: { databaseUrl: testDatabaseUrl, databaseSchema: schema },
    close: async () => {
      await db.destroy();
      await dropTestSchema(schema);
    },
  };
};

/** Inserts a tenant and confidential clients of it (`{tenantId}-{name}` for each name), straight into the store. */
export const insertTenantWithClients = async (db: Db, tenantId: string, names: readonly string[]): Promise<void> => {
  await db.insertInto('tenants').values({ id: tenantId, name: tenantId, policies: '{}', hostnames: '[]' }).execute();
  for (const name of names) {
    await db
      .insertInto('clients')
      .values({
        client_id: `${tenantId}-${name}`,
        tenant_id: tenantId,
        name,
        redirect_uris: '[]',
        callback_urls: '[]',
        grant_types: '["refresh_token"]',
        public: false,
        settings: '{}',
      })
      .execute();
  }
};

/** Row counts of every table: take one before and after a bad request to show that nothing was written. */
export const tableCounts = async (db: Db): Promise<Record<string, number>> => {
  const tables = [
    'tenants',
    'clients',
    'idp_connections',
    'users',
    'identities',
    'signing_keys',
    'authorization_requests',
    'sessions',
    'token_families',
    'authorization_codes',
    'refresh_tokens',
    'revoked_access_tokens',
    'link_proofs',
    'login_flows',
    'mfa_factors',
    'mfa_challenges',
  ] as const;
  const counts: Record<string, number> = {};
  for (const table of tables) {
    const row = await db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    counts[table] = Number(row.n);
  }
  return counts;
};

/** Runs `action` and asserts it wrote no row to any table (besides the audit trail). */
export const expectNoWrites = async <T>(db: Db, action: () => Promise<T>): Promise<T> => {
  const before = await tableCounts(db);
  const result = await action();
  const after = await tableCounts(db);
  const { expect } = await import('vitest');
  expect(after).toEqual(before);
  return result;
};
