import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdirSync } from 'node:fs';
import type { PGlite } from '@electric-sql/pglite';
import {
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type Driver,
  Kysely,
  PostgresDialect,
  type PostgresDialectConfig,
  PostgresIntrospector,
  sql,
  type TableMetadata,
  type Transaction,
} from 'kysely';
import type pg from 'pg';
import { sha256 } from '../lib/crypto.js';
import type { Database } from './schema.js';

export type Db = Kysely<Database>;
/** What repositories take: the database or an open transaction (a use-case that writes several rows opens one). */
export type DbExecutor = Kysely<Database> | Transaction<Database>;

export type DatabaseOptions =
  | {
      readonly driver: 'pglite';
      readonly dataDir: string | 'memory';
      /** How long a query waits for the one connection while another holds it; unbounded without it. */
      readonly timeoutMs?: number;
      /**
       * A data directory image (PGlite's `dumpDataDir` tarball) to start a new store from instead of creating a
       * cluster, which takes seconds: the tests start each in-memory store from an image of an empty one.
       */
      readonly image?: Blob;
    }
  | {
      readonly driver: 'postgres';
      readonly url: string;
      readonly poolSize: number;
      readonly schema?: string;
      /** Prepare data statements once per connection (default true; see `prepareStatements`). */
      readonly prepareStatements?: boolean;
      /** The budget of one database wait (see `databaseTimeouts`); without it, only a 3 s pool acquire bound. */
      readonly timeoutMs?: number;
    };

/**
 * What one budget (`databaseTimeoutMs`) sets on each PostgreSQL connection, in milliseconds: the server cancels a
 * statement after `statement` and a lock wait after `lock` (so a held row lock is reported as such, before the
 * statement's own bound), and ends a session left idle inside a transaction after `idleInTransaction` (a stuck
 * process must not hold its locks); the client waits `acquire` for a pooled connection and gives up on a server that
 * does not answer at all after `read` (the server's own cancellation had time to arrive), discarding that connection.
 */
export const databaseTimeouts = (budgetMs: number) => ({
  statement: budgetMs,
  lock: Math.ceil(budgetMs / 2),
  idleInTransaction: budgetMs * 2,
  acquire: budgetMs,
  read: budgetMs + 1000,
});

// jsonb columns: node-postgres and PGlite both parse them; timestamptz arrive as Date on both.
// bigint (audit ids, counts) stays a string on both, so it never loses precision.

/**
 * Opens the store: PGlite in-process (a directory, or `memory`) or a PostgreSQL pool. With `schema`, every connection
 * uses that schema (created if missing), so test runs and deployments can share one database without colliding.
 */
/**
 * Lists only the tables of one schema. Kysely's migrator asks for "the tables" to see whether its own exist; the stock
 * PostgreSQL introspector reads every schema's catalog and fails when another schema is dropped at that moment (many
 * deployments or test runs sharing one database).
 */
class SchemaScopedIntrospector extends PostgresIntrospector {
  constructor(
    private readonly database: Kysely<unknown>,
    private readonly schema: string,
  ) {
    super(database);
  }

  override async getTables(): Promise<TableMetadata[]> {
    const { rows } = await sql<{ name: string; kind: string }>`
      select c.relname as name, c.relkind as kind
      from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
      where n.nspname = ${this.schema} and c.relkind in ('r', 'p', 'v', 'm')`.execute(this.database);
    return rows.map((row) => ({
      name: row.name,
      schema: this.schema,
      isView: row.kind === 'v' || row.kind === 'm',
      columns: [],
    }));
  }
}

class SchemaScopedPostgresDialect extends PostgresDialect {
  constructor(
    config: PostgresDialectConfig,
    private readonly schema: string,
  ) {
    super(config);
  }

  override createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new SchemaScopedIntrospector(db, this.schema);
  }
}

/** Statements that are worth preparing: data statements, not transaction control or DDL. */
const preparable = /^\s*(?:select|insert|update|delete|with)\b/i;
/** Distinct statement texts given a name; beyond this, statements run unnamed (the set is fixed in practice). */
const maxPreparedStatements = 1000;
const statementNames = new Map<string, string>();
let statementGeneration = 0;

const statementName = (text: string): string | undefined => {
  let name = statementNames.get(text);
  if (name === undefined && preparable.test(text) && statementNames.size < maxPreparedStatements) {
    name = `gh_${statementGeneration}_${sha256(text).slice(0, 22)}`;
    statementNames.set(text, name);
  }
  return name;
};

type QueryFn = (config: unknown, values?: unknown, callback?: unknown) => unknown;

/**
 * Names every data statement after a digest of its text, so that each pooled connection parses and plans it once and
 * then only binds and executes it (a server-side prepared statement, as postgres.js does by default): the statements
 * the query builder produces are a fixed set. A schema change that alters a prepared statement's result type (a
 * migration adding a column under `select *`) makes the server refuse the stale plan ("cached plan must not change
 * result type"): the statement is then prepared afresh under a new name and run again, which succeeds outside a
 * transaction; inside one, the transaction fails with the original error.
 */
const prepareStatements = (client: pg.PoolClient): void => {
  const query = client.query.bind(client) as QueryFn;
  (client as unknown as { query: QueryFn }).query = (config, values, callback) => {
    if (typeof config !== 'string' || !Array.isArray(values) || callback !== undefined)
      return query(config, values, callback);
    const name = statementName(config);
    if (name === undefined) return query(config, values);
    return (query({ name, text: config, values }) as Promise<unknown>).catch(async (error: unknown) => {
      if ((error as { code?: unknown }).code !== '0A000') throw error;
      statementNames.delete(config);
      statementGeneration++;
      const renamed = statementName(config);
      if (renamed === undefined) throw error;
      // Outside a transaction the statement simply runs again, prepared afresh; inside one, the transaction has
      // failed already and the original error is the one to report.
      return (query({ name: renamed, text: config, values }) as Promise<unknown>).catch((retry: unknown) => {
        throw (retry as { code?: unknown }).code === '25P02' ? error : retry;
      });
    });
  };
};

const unbounded = new AsyncLocalStorage<true>();

/**
 * Runs `work` without the client-side bounds of `databaseTimeoutMs` (waiting for a server's answer, for the embedded
 * store's connection): for work that is not a request, such as an import at start that waits for another instance's.
 * The server-side timeouts are the caller's to lift (`set_config(…, true)` in its transaction).
 */
export const withoutRequestBounds = <T>(work: () => Promise<T>): Promise<T> => unbounded.run(true, work);

/**
 * A query that gets no answer from the server within `readMs` (a frozen host: the server's own `statement_timeout`
 * cannot fire) closes its connection: the query fails as a lost connection does, and the pool discards the
 * connection instead of handing it, still waiting for that answer, to the next request.
 */
const boundReads = (client: pg.PoolClient, readMs: number): void => {
  const query = client.query.bind(client) as QueryFn;
  (client as unknown as { query: QueryFn }).query = (config, values, callback) => {
    const result = query(config, values, callback);
    if (!(result instanceof Promise) || unbounded.getStore() === true) return result;
    const timer = setTimeout(
      () => (client as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy(),
      readMs,
    );
    return result.finally(() => clearTimeout(timer));
  };
};

/**
 * The embedded store has one connection: a query waits while another (a transaction) holds it. With a bound, a query
 * that waited that long fails as a pool acquire timeout does (503 `storage_unavailable`) instead of queueing forever.
 */
const boundAcquire = (driver: Driver, acquireMs: number): Driver => {
  const acquire = driver.acquireConnection.bind(driver);
  driver.acquireConnection = () => {
    if (unbounded.getStore() === true) return acquire();
    return new Promise<DatabaseConnection>((resolve, reject) => {
      let waited = false;
      const timer = setTimeout(() => {
        waited = true;
        reject(new Error(`timeout exceeded when trying to connect: the embedded store stayed busy ${acquireMs} ms`));
      }, acquireMs);
      acquire().then(
        (connection) => {
          clearTimeout(timer);
          // Given up on already: hand the connection straight to the next in line.
          if (waited) void driver.releaseConnection(connection);
          else resolve(connection);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  };
  return driver;
};

/** The embedded store's dialect, its waits for the one connection bounded by `acquireMs` when given. */
const pgliteDialect = async (pglite: PGlite, acquireMs: number | undefined): Promise<Dialect> => {
  const { PGliteDialect } = await import('kysely-pglite-dialect');
  const dialect = new PGliteDialect(pglite);
  if (acquireMs === undefined) return dialect;
  const createDriver = dialect.createDriver.bind(dialect);
  dialect.createDriver = () => boundAcquire(createDriver(), acquireMs);
  return dialect;
};

const schemas = new WeakMap<Db, string>();

/** The schema a database handle keeps its tables in (`public` unless one was configured). */
export const schemaOf = (db: Db): string => schemas.get(db) ?? 'public';

/**
 * Each driver is loaded when a store of its kind is opened: a process on PostgreSQL never loads PGlite, and one on the
 * embedded store never loads node-postgres.
 */
export const createDatabase = async (options: DatabaseOptions): Promise<Db> => {
  if (options.driver === 'pglite') {
    const { PGlite } = await import('@electric-sql/pglite');
    if (options.dataDir !== 'memory') mkdirSync(options.dataDir, { recursive: true });
    const from = options.image === undefined ? {} : { loadDataDir: options.image };
    const pglite = options.dataDir === 'memory' ? new PGlite(from) : new PGlite(options.dataDir, from);
    await pglite.waitReady;
    return new Kysely<Database>({ dialect: await pgliteDialect(pglite, options.timeoutMs) });
  }
  const { default: pg } = await import('pg');
  const { schema } = options;
  const timeouts = options.timeoutMs === undefined ? undefined : databaseTimeouts(options.timeoutMs);
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize,
    connectionTimeoutMillis: timeouts?.acquire ?? 3000,
    ...(timeouts === undefined
      ? {}
      : {
          // Sent as startup parameters: every connection of the pool has them from its first statement.
          statement_timeout: timeouts.statement,
          lock_timeout: timeouts.lock,
          idle_in_transaction_session_timeout: timeouts.idleInTransaction,
        }),
    ...(schema === undefined ? {} : { options: `-c search_path="${schema}"` }),
  });
  // An idle client losing its server must not crash the process; the next query reports it.
  pool.on('error', () => {});
  // A server that drops a connection mid-query makes the checked-out client emit 'error': the query fails (and is
  // reported as 503), the pool discards the client, and the process must not crash on an unheard event.
  pool.on('connect', (client) => {
    client.on('error', () => {});
    if (options.prepareStatements !== false) prepareStatements(client);
    if (timeouts !== undefined) boundReads(client, timeouts.read);
  });
  if (schema !== undefined) {
    // On the pool's first connection, which the store's first statement then uses: no connection of its own.
    try {
      await pool.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    } catch (error) {
      // Instances starting at once may all find the schema missing: the others' CREATE then fails on the catalog's
      // unique index (IF NOT EXISTS does not guard against a concurrent creation), and the schema is there.
      if (!isUniqueViolation(error, 'pg_namespace_nspname_index')) {
        await pool.end();
        throw error;
      }
    }
  }
  const db = new Kysely<Database>({ dialect: new SchemaScopedPostgresDialect({ pool }, schema ?? 'public') });
  if (schema !== undefined) schemas.set(db, schema);
  return db;
};

/** True when the store answers a trivial query (readiness). */
export const pingDatabase = async (db: Db): Promise<boolean> => {
  try {
    await sql`select 1`.execute(db);
    return true;
  } catch {
    return false;
  }
};

export { isStorageUnavailable } from '../lib/pg-errors.js';

/** True when `error` is a unique-constraint violation (concurrent creation lost the race). */
export const isUniqueViolation = (error: unknown, constraint?: string): boolean => {
  const e = error as { code?: unknown; constraint?: unknown } | null;
  return (
    e !== null &&
    typeof e === 'object' &&
    e.code === '23505' &&
    (constraint === undefined || e.constraint === constraint)
  );
};
