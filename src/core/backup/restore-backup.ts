import {
  type BackedUpTable,
  type BackupRow,
  backedUpTables,
  insertRows,
  lockForRestore,
  nonEmptyTables,
  sealedColumns,
  tableColumns,
} from '../../store/backup.js';
import { knownMigrations } from '../../store/migrate.js';
import type { AuditLog } from '../audit/events.js';
import type { CoreDeps } from '../deps.js';
import { GatehouseError } from '../errors.js';
import { parseInput } from '../validation.js';
import {
  type ArchiveBody,
  archiveDigest,
  type BackupActor,
  BackupArchive,
  backupFormatVersion,
  keyCheckText,
} from './archive.js';

/** What a restore wrote. */
export interface RestoreResult {
  readonly format: string;
  readonly migration: string;
  readonly takenAt: string;
  /** Rows written, by table. */
  readonly restored: Readonly<Record<string, number>>;
}

const refuse = (message: string) => new GatehouseError('invalid_request', message);

/** The format and the migration level, checked before anything else, so a newer archive is named as such. */
const checkVersion = (input: unknown): void => {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    throw refuse('not a Gatehouse backup: the archive is not a JSON object');
  const { format, migration, tenants } = input as { format?: unknown; migration?: unknown; tenants?: unknown };
  if (format === undefined && tenants !== undefined)
    throw refuse('not a Gatehouse backup but a configuration document: apply it with import');
  const version = typeof format === 'string' ? /^gatehouse-backup\/([1-9][0-9]{0,5})$/.exec(format)?.[1] : undefined;
  if (version === undefined) throw refuse(`not a Gatehouse backup: format ${JSON.stringify(format ?? null)}`);
  if (Number(version) > backupFormatVersion)
    throw refuse(
      `the archive's format ${format} is newer than this Gatehouse reads (gatehouse-backup/${backupFormatVersion}); restore with a newer Gatehouse`,
    );
  const known = knownMigrations();
  if (typeof migration === 'string' && !known.includes(migration))
    throw refuse(
      `the archive was taken at schema migration ${migration}, which this Gatehouse does not have (its latest is ${known.at(-1)}); restore with a newer Gatehouse`,
    );
};

/** Every row of a table has the same columns; every sealed value opens with this deployment's master key. */
const checkRows = (deps: CoreDeps, table: BackedUpTable, rows: readonly BackupRow[]): string[] => {
  const columns = Object.keys(rows[0] ?? {});
  const sealed = sealedColumns(table);
  rows.forEach((row, index) => {
    const at = `archive.tables.${table}.${index}`;
    const keys = Object.keys(row);
    if (keys.length !== columns.length || keys.some((key) => !columns.includes(key)))
      throw refuse(`${at}: its columns differ from the table's first row`);
    for (const column of sealed) {
      const value = row[column];
      if (value === null || value === undefined) continue;
      try {
        if (typeof value !== 'string') throw new TypeError('not a string');
        deps.secretBox.open(value);
      } catch {
        throw refuse(`${at}.${column}: cannot be opened with this deployment's master key`);
      }
    }
  });
  return columns;
};

/**
 * Checks an archive completely before anything is written: format and version, migration level, shape, digest,
 * master key (its `keyCheck`, then every sealed value), and the columns of each table.
 * @throws GatehouseError `invalid_request` naming what is wrong.
 */
const checkArchive = (deps: CoreDeps, input: unknown) => {
  checkVersion(input);
  const { sha256, ...body } = parseInput(BackupArchive, input, 'archive');
  if (archiveDigest(body as ArchiveBody) !== sha256)
    throw refuse('the archive is corrupt: its content does not match its sha256');
  let keyCheck: string | undefined;
  try {
    keyCheck = deps.secretBox.open(body.keyCheck);
  } catch {
    // refused below
  }
  if (keyCheck !== keyCheckText)
    throw refuse(
      'the archive was sealed with another master key: restore with the GATEHOUSE_MASTER_KEY of the deployment it was taken from',
    );
  const columns = new Map<BackedUpTable, string[]>();
  for (const table of backedUpTables) columns.set(table, checkRows(deps, table, body.tables[table] ?? []));
  return { body, columns };
};

/** PostgreSQL's data exceptions (22) and integrity violations (23): the rows, not the store, are at fault. */
const rowsDoNotFit = (error: unknown): boolean => {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^2[23][0-9A-Z]{3}$/.test(code);
};

/**
 * Restores an archive into an empty store, in one transaction that first blocks writes to every table it fills and
 * checks they are empty: ids (so every `sub`), identities, second factors, signing keys and secrets come back exactly
 * as they were. Sealed values stay sealed, so the master key must be the one the archive was taken under.
 * @throws GatehouseError `invalid_request` (not an archive, newer format or migration, corrupt, another master key,
 *   rows that do not fit), `conflict` (the store is not empty). Nothing is written then.
 */
export const restoreBackup = async (
  deps: CoreDeps,
  audit: AuditLog,
  input: unknown,
  options: BackupActor = {},
): Promise<RestoreResult> => {
  const { body, columns } = checkArchive(deps, input);
  const restored: Record<string, number> = {};
  await deps.db.transaction().execute(async (trx) => {
    await lockForRestore(trx);
    const occupied = await nonEmptyTables(trx);
    if (occupied.length > 0)
      throw new GatehouseError(
        'conflict',
        `the store is not empty (${occupied.join(', ')} hold rows): restore only into a new, empty store`,
      );
    for (const table of backedUpTables) {
      const rows = body.tables[table] ?? [];
      restored[table] = rows.length;
      if (rows.length === 0) continue;
      const wanted = columns.get(table) ?? [];
      const existing = new Set(await tableColumns(trx, table));
      const unknown = wanted.find((column) => !existing.has(column));
      if (unknown !== undefined) throw refuse(`archive.tables.${table}: no column ${unknown} in this store`);
      try {
        await insertRows(trx, table, wanted, rows);
      } catch (error) {
        if (!rowsDoNotFit(error)) throw error;
        throw refuse(`archive.tables.${table}: the rows do not fit the table (${(error as Error).message})`);
      }
    }
  });
  audit.record({
    type: 'backup.restored',
    outcome: 'success',
    actor: options.actor ?? 'system',
    ...(options.ip === undefined ? {} : { ip: options.ip }),
    details: { takenAt: body.takenAt, migration: body.migration, restored },
  });
  return { format: body.format, migration: body.migration, takenAt: body.takenAt, restored };
};
