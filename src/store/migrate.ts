import { type MigrationResultSet, Migrator, sql } from 'kysely';
import { type Db, schemaOf } from './database.js';
import { migrations } from './migrations/index.js';

const migrator = (db: Db) =>
  new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    migrationTableName: 'gatehouse_migrations',
    migrationLockTableName: 'gatehouse_migrations_lock',
    migrationTableSchema: schemaOf(db),
  });

/** Postgres's "undefined_table": the store has never been migrated. */
const undefinedTable = '42P01';

/**
 * Whether the store has applied exactly the migrations this code knows, in one statement. Anything else (a new
 * store, a pending migration, one this code does not know, a migration under way elsewhere and not yet committed) is
 * left to the migrator, which takes its lock and decides.
 */
const isUpToDate = async (db: Db): Promise<boolean> => {
  let applied: string[];
  try {
    const { rows } = await sql<{ name: string }>`select name from ${sql.table(
      `${schemaOf(db)}.gatehouse_migrations`,
    )}`.execute(db);
    applied = rows.map((row) => row.name).sort();
  } catch (error) {
    if ((error as { code?: unknown }).code === undefinedTable) return false;
    throw error;
  }
  const known = knownMigrations();
  return applied.length === known.length && applied.every((name, i) => name === known[i]);
};

/**
 * Brings the schema up to date; idempotent, and safe for several instances starting at once (Kysely takes a lock). A
 * store already up to date costs one statement (every CLI command and every start checks).
 * @returns the names of the migrations applied by this call.
 * @throws the failing migration's error.
 */
export const migrateToLatest = async (db: Db): Promise<string[]> => {
  if (await isUpToDate(db)) return [];
  const result: MigrationResultSet = await migrator(db).migrateToLatest();
  if (result.error !== undefined) throw result.error;
  return (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
};

/** Names of the migrations known to the code, and whether each is applied. */
export const migrationStatus = async (db: Db): Promise<{ name: string; applied: boolean }[]> =>
  (await migrator(db).getMigrations()).map((m) => ({ name: m.name, applied: m.executedAt !== undefined }));

/** The migrations this code knows, in the order they apply. */
export const knownMigrations = (): string[] => Object.keys(migrations).sort();
