import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'kysely';
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

/** The installed PGlite's version: an image is read only by the version that wrote it. */
const pgliteVersion = (
  JSON.parse(
    readFileSync(
      join(dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite')), '../package.json'),
      'utf8',
    ),
  ) as { version: string }
).version;
/** Where the image of an empty embedded store is kept between test files and runs (one per PGlite version). */
const emptyImagePath = join(tmpdir(), `gatehouse-test-pglite-${pgliteVersion}-empty-${process.getuid?.() ?? 0}.tar`);
let emptyImage: Promise<Blob> | undefined;

/**
 * The data directory of a new, empty PGlite cluster, as an image: a store started from it is the store `new PGlite()`
 * makes, without its initdb (seconds of CPU each time). Made once and kept in the temporary directory; a file is
 * written aside and renamed into place, so a reader never sees half of one.
 */
const emptyPgliteImage = (): Promise<Blob> => {
  emptyImage ??= (async () => {
    try {
      return new Blob([await readFile(emptyImagePath)]);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const fresh = new PGlite();
    await fresh.waitReady;
    const image = await fresh.dumpDataDir('none');
    await fresh.close();
    const aside = `${emptyImagePath}.${process.pid}.${randomBytes(4).toString('hex')}`;
    await writeFile(aside, new Uint8Array(await image.arrayBuffer()));
    await rename(aside, emptyImagePath);
    return image;
  })();
  return emptyImage;
};

export const openTestStorage = async (
  kind: StorageKind = 'postgres',
  /** PostgreSQL connections in the pool (5 unless given); the embedded store always has one. */
  options: { poolSize?: number } = {},
): Promise<TestStorage> => {
  if (kind === 'pglite') {
    const db = await createDatabase({ driver: 'pglite', dataDir: 'memory', image: await emptyPgliteImage() });
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

/** Tables whose rows a request may write whatever its outcome: the audit trail records refusals too. */
const unwatchedTables = new Set(['audit_events']);

/** Per table, the md5 of each row's text, sorted: equal before and after only when no row changed in any column. */
type RowDigests = Record<string, string[]>;

/**
 * The row digests of every table of the store's schema (the audit trail aside): one catalogue query, then one query
 * for all the tables.
 */
export const rowDigests = async (db: Db): Promise<RowDigests> => {
  const { rows: tables } = await sql<{ name: string }>`
    select c.relname as name
    from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
    where n.nspname = current_schema() and c.relkind in ('r', 'p')
    order by c.relname`.execute(db);
  const watched = tables.map((t) => t.name).filter((name) => !unwatchedTables.has(name));
  if (watched.length === 0) return {};
  const perTable = watched.map(
    (name) => sql`select ${name}::text as name,
      coalesce(array_agg(md5(r::text) order by md5(r::text)), '{}') as rows
      from ${sql.table(name)} as r`,
  );
  const { rows } = await sql<{ name: string; rows: string[] }>`${sql.join(perTable, sql` union all `)}`.execute(db);
  return Object.fromEntries(rows.map((row) => [row.name, row.rows]));
};

/** What changed between two digests, one line per row: `table: + (new row text)` or `table: - row <md5>`. */
const describeChanges = async (db: Db, before: RowDigests, after: RowDigests): Promise<string[]> => {
  const changes: string[] = [];
  for (const table of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const remaining = [...(before[table] ?? [])];
    const added: string[] = [];
    for (const digest of after[table] ?? []) {
      const at = remaining.indexOf(digest);
      if (at === -1) added.push(digest);
      else remaining.splice(at, 1);
    }
    if (added.length > 0) {
      const { rows } = await sql<{ text: string }>`
        select r::text as text from ${sql.table(table)} as r where md5(r::text) = any(${added}::text[])`.execute(db);
      for (const row of rows) changes.push(`${table}: + ${row.text}`);
    }
    for (const digest of remaining) changes.push(`${table}: - row ${digest}`);
  }
  return changes;
};

/**
 * Writes that the code under test defers (a batch written a moment after the request, such as sign-in times), per
 * database: the harness that starts a server registers how to write them now, so that each shows up with the action
 * that caused it and not with the next one.
 */
const deferredWrites = new WeakMap<Db, (() => Promise<void>)[]>();

/** Registers `flush` as a way to write `db`'s deferred writes now; returns what unregisters it. */
export const registerDeferredWrites = (db: Db, flush: () => Promise<void>): (() => void) => {
  const flushes = deferredWrites.get(db) ?? [];
  flushes.push(flush);
  deferredWrites.set(db, flushes);
  return () => {
    const at = flushes.indexOf(flush);
    if (at !== -1) flushes.splice(at, 1);
  };
};

const settle = async (db: Db): Promise<void> => {
  for (const flush of deferredWrites.get(db) ?? []) await flush();
};

/**
 * Runs `action` and asserts it changed no row of any table (besides the audit trail): no insert, no delete, and no
 * update of any column, compared by a digest of every row before and after, whether `action` returns or throws. The
 * deferred writes of earlier actions are written before, and the action's own after (see `registerDeferredWrites`).
 */
export const expectNoWrites = async <T>(db: Db, action: () => Promise<T>): Promise<T> => {
  await settle(db);
  const before = await rowDigests(db);
  const outcome = await action().then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  await settle(db);
  const after = await rowDigests(db);
  const { expect } = await import('vitest');
  // A refusal that throws is held to the same standard as one that answers.
  expect(await describeChanges(db, before, after), 'rows changed by an action that must write nothing').toEqual([]);
  if (!outcome.ok) throw outcome.error;
  return outcome.value;
};
