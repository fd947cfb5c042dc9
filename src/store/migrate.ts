import { type MigrationResultSet, Migrator } from 'kysely';
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

/**
 * Brings the schema up to date; idempotent, and safe for several instances starting at once (Kysely takes a lock).
 * @returns the names of the migrations applied by this call.
 * @throws the failing migration's error.
 */
export const migrateToLatest = async (db: Db): Promise<string[]> => {
  const result: MigrationResultSet = await migrator(db).migrateToLatest();
  if (result.error !== undefined) throw result.error;
  return (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
};

/** Names of the migrations known to the code, and whether each is applied. */
export const migrationStatus = async (db: Db): Promise<{ name: string; applied: boolean }[]> =>
  (await migrator(db).getMigrations()).map((m) => ({ name: m.name, applied: m.executedAt !== undefined }));

/** The migrations this code knows, in the order they apply. */
export const knownMigrations = (): string[] => Object.keys(migrations).sort();
