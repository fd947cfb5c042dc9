import { type Static, type TOptional, Type } from '@sinclair/typebox';
import { sha256 } from '../../lib/crypto.js';
import { type BackedUpTable, backedUpTables } from '../../store/backup.js';

/** The archive format this code writes and reads: `gatehouse-backup/{version}`. */
export const backupFormat = 'gatehouse-backup/1';
export const backupFormatVersion = 1;

/** The text sealed into every archive's `keyCheck`; a restore opens it to prove it holds the same master key. */
export const keyCheckText = 'gatehouse-backup-key-check';

const BackupRow = Type.Record(Type.String({ pattern: '^[a-z_][a-z0-9_]*$' }), Type.Unknown(), {
  additionalProperties: false,
  description: 'One row, every column by name, as PostgreSQL `to_jsonb` writes it.',
});
const Rows = Type.Array(BackupRow);

const tableFields = Object.fromEntries(backedUpTables.map((table) => [table, Type.Optional(Rows)])) as Record<
  BackedUpTable,
  TOptional<typeof Rows>
>;

/**
 * A backup archive (docs/operations.md): every durable table of the store, row by row as stored (secrets as digests,
 * hashes or sealed values), the schema migration it was taken at, and a SHA-256 over the rest.
 */
export const BackupArchive = Type.Object(
  {
    format: Type.Literal(backupFormat, { description: 'The archive format and its version.' }),
    migration: Type.String({
      minLength: 1,
      description: 'The last schema migration applied to the store the archive was taken from.',
    }),
    takenAt: Type.String({ description: 'When the snapshot was taken (RFC 3339).' }),
    keyCheck: Type.String({
      description: 'A fixed text sealed with the master key: a restore opens it to check it has the same key.',
    }),
    tables: Type.Object(tableFields, {
      additionalProperties: false,
      description: 'The rows of each table the backup holds, by primary key.',
    }),
    sha256: Type.String({
      pattern: '^[A-Za-z0-9_-]{43}$',
      description: 'SHA-256 (base64url) of the compact JSON of this object without `sha256`.',
    }),
  },
  { additionalProperties: false },
);

/** The archive without its digest: what the digest covers. */
export type ArchiveBody = Omit<Static<typeof BackupArchive>, 'sha256'>;

/** The digest of an archive's body, over its compact JSON (so re-indenting an archive does not change it). */
export const archiveDigest = (body: ArchiveBody): string => sha256(JSON.stringify(body));

/** Who takes or restores a backup, for the audit trail. */
export interface BackupActor {
  /** `admin`, `cli` or `system` (the default). */
  readonly actor?: string;
  /** The caller's address, over HTTP. */
  readonly ip?: string;
}
