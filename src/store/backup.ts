import { type RawBuilder, sql } from 'kysely';
import type { Db, DbExecutor } from './database.js';
import type { Database } from './schema.js';

/** A table a backup holds: its primary key (the order rows are read in) and its columns sealed with the master key. */
interface KeptTable {
  readonly kept: true;
  readonly key: readonly string[];
  readonly sealed?: readonly string[];
}

/** A table a backup leaves out, and why. */
interface LeftOutTable {
  readonly kept: false;
  readonly why: string;
}

/**
 * What a backup does with every table, in the order a restore writes them (parents before children). Adding a table
 * to `Database` fails the build here until it is decided: kept, or left out with a reason (docs/operations.md).
 */
export const backupPlan = {
  tenants: { kept: true, key: ['id'] },
  clients: { kept: true, key: ['client_id'] },
  idp_connections: { kept: true, key: ['tenant_id', 'id'], sealed: ['client_secret_enc'] },
  users: { kept: true, key: ['id'] },
  identities: { kept: true, key: ['id'] },
  signing_keys: { kept: true, key: ['kid'], sealed: ['private_key_enc'] },
  mfa_factors: { kept: true, key: ['id'], sealed: ['secret_enc'] },
  // Signing keys come back, so access tokens issued before the backup verify after a restore: a revoked one must
  // stay revoked. Small (a row lives as long as its token).
  revoked_access_tokens: { kept: true, key: ['jti'] },
  // The operator's stored admin tokens (digests only), after the tenants they are bound to.
  admin_tokens: { kept: true, key: ['id'] },
  // The scopes each user allowed each third-party client: without them, every user is asked again.
  consent_grants: { kept: true, key: ['user_id', 'client_id'] },
  // For the same reason, a link proof spent before the backup stays spent.
  link_proofs: { kept: true, key: ['jti'] },
  // A provider ID token spent before the backup must stay spent until its `exp` (a day at most).
  spent_idp_tokens: { kept: true, key: ['digest'] },
  native_nonces: { kept: false, why: 'a nonce for a native sign-in in progress; lives minutes' },
  master_key_checks: {
    kept: false,
    why: 'written by a store at its first start from its master key; the archive carries its own key check',
  },
  audit_events: { kept: false, why: 'grows without bound; a database dump or the log pipeline keeps it' },
  authorization_requests: { kept: false, why: 'an authorization request in progress; lives minutes' },
  login_flows: { kept: false, why: 'a login in progress; lives minutes' },
  mfa_challenges: { kept: false, why: 'a second-factor email of a login in progress; lives minutes' },
  authorization_codes: { kept: false, why: 'single use; lives a minute' },
  self_service_flows: { kept: false, why: 'a mailed code of a sign-up, recovery or code sign-in; lives minutes' },
  sessions: { kept: false, why: 'browser sessions: users sign in again' },
  email_changes: { kept: false, why: 'an email change waiting for its one-time code; lives minutes' },
  token_families: { kept: false, why: 'grants behind refresh tokens: clients sign in again' },
  refresh_tokens: { kept: false, why: 'clients sign in again' },
} as const satisfies Record<keyof Database, KeptTable | LeftOutTable>;

type Plan = typeof backupPlan;
/** The tables a backup holds. */
export type BackedUpTable = { [T in keyof Plan]: Plan[T] extends { kept: true } ? T : never }[keyof Plan];

/** The tables a backup holds, in the order a restore writes them. */
export const backedUpTables = (Object.keys(backupPlan) as (keyof Plan)[]).filter(
  (table): table is BackedUpTable => backupPlan[table].kept,
);

/** The sealed columns of a table a backup holds. */
export const sealedColumns = (table: BackedUpTable): readonly string[] => {
  const plan: KeptTable = backupPlan[table];
  return plan.sealed ?? [];
};

/** A row as `to_jsonb` writes it: every column by name; timestamps as text with microseconds, jsonb as JSON. */
export type BackupRow = Record<string, unknown>;

const pageSize = 1000;

const columnList = (columns: readonly string[]): RawBuilder<unknown> =>
  sql.join(columns.map((column) => sql.ref(column)));

/**
 * A read-only view of the whole store at one instant (PostgreSQL `REPEATABLE READ`): every read through it sees the
 * same snapshot, whatever is written meanwhile. Call `close()` when done, whatever happens.
 */
export interface StoreSnapshot {
  /** The last schema migration applied to the store (`0003-login-flows`). */
  readonly migration: string;
  /** The rows of a table, by primary key, a page at a time. */
  rows(table: BackedUpTable): AsyncGenerator<BackupRow[]>;
  close(): Promise<void>;
}

/** The last migration applied to a store, or undefined when it was never migrated. */
export const migrationLevel = async (db: DbExecutor): Promise<string | undefined> => {
  const { rows } = await sql<{ name: string }>`
    select name from gatehouse_migrations order by name desc limit 1`.execute(db);
  return rows[0]?.name;
};

/** Opens a snapshot of the store (see `StoreSnapshot`). On the embedded store, other queries wait until it closes. */
export const openSnapshot = async (db: Db): Promise<StoreSnapshot> => {
  const trx = await db.startTransaction().setIsolationLevel('repeatable read').setAccessMode('read only').execute();
  try {
    const migration = await migrationLevel(trx);
    if (migration === undefined) throw new Error('the store has never been migrated');
    return {
      migration,
      async *rows(table) {
        const key: readonly string[] = backupPlan[table].key;
        for (let after: unknown[] | undefined; ; ) {
          const from =
            after === undefined
              ? sql``
              : sql`where (${columnList(key)}) > (${sql.join(after.map((value) => sql`${value}`))})`;
          const { rows } = await sql<{ row: BackupRow }>`
            select to_jsonb(t) as row from ${sql.table(table)} as t ${from}
            order by ${columnList(key)} limit ${pageSize}`.execute(trx);
          if (rows.length > 0) yield rows.map((r) => r.row);
          if (rows.length < pageSize) return;
          const last = rows.at(-1)?.row ?? {};
          after = key.map((column) => last[column]);
        }
      },
      close: () => trx.rollback().execute(),
    };
  } catch (error) {
    await trx.rollback().execute();
    throw error;
  }
};

/** Tables a restore neither needs empty nor writes: the audit trail, and the key check of the store's own key. */
const notRestored: ReadonlySet<keyof Plan> = new Set(['audit_events', 'master_key_checks']);

/** The tables that hold rows, of those a restore needs empty. */
export const nonEmptyTables = async (db: DbExecutor): Promise<string[]> => {
  const found: string[] = [];
  for (const table of Object.keys(backupPlan) as (keyof Plan)[]) {
    if (notRestored.has(table)) continue;
    const { rows } = await sql<{ one: number }>`select 1 as one from ${sql.table(table)} limit 1`.execute(db);
    if (rows.length > 0) found.push(table);
  }
  return found;
};

/**
 * Blocks every write to the tables a restore fills (reads go on) until the transaction ends, so that the emptiness
 * checked after it holds until the restore commits.
 */
export const lockForRestore = async (trx: DbExecutor): Promise<void> => {
  const tables = (Object.keys(backupPlan) as (keyof Plan)[]).filter((t) => !notRestored.has(t));
  await sql`lock table ${sql.join(tables.map((t) => sql.table(t)))} in exclusive mode`.execute(trx);
};

/** The columns of a table in the current schema. */
export const tableColumns = async (db: DbExecutor, table: BackedUpTable): Promise<string[]> => {
  const { rows } = await sql<{ name: string }>`
    select column_name as name from information_schema.columns
    where table_schema = current_schema() and table_name = ${table}`.execute(db);
  return rows.map((r) => r.name);
};

const insertBatch = 500;

/**
 * Writes rows as `to_jsonb` read them: PostgreSQL turns each JSON value back into its column's type
 * (`jsonb_populate_recordset`), so timestamps keep their microseconds and jsonb its structure. Only `columns` are
 * written; the others take their defaults (a backup taken before a migration added them).
 */
export const insertRows = async (
  trx: DbExecutor,
  table: BackedUpTable,
  columns: readonly string[],
  rows: readonly BackupRow[],
): Promise<void> => {
  for (let start = 0; start < rows.length; start += insertBatch) {
    const batch = JSON.stringify(rows.slice(start, start + insertBatch));
    await sql`
      insert into ${sql.table(table)} (${columnList(columns)})
      select ${columnList(columns)} from jsonb_populate_recordset(null::${sql.table(table)}, ${batch}::jsonb)`.execute(
      trx,
    );
  }
};
