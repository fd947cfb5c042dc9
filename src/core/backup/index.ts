import type { AuditLog } from '../audit/events.js';
import type { CoreDeps } from '../deps.js';
import type { BackupActor } from './archive.js';
import { restoreBackup } from './restore-backup.js';
import { takeBackup } from './take-backup.js';

export { BackupArchive, backupFormat } from './archive.js';
export type { RestoreResult } from './restore-backup.js';

/** Backup and restore of the whole store (docs/operations.md); not the configuration document of import/export. */
export const createBackupUseCases = (deps: CoreDeps, audit: AuditLog) => ({
  /** See `takeBackup`: the archive as text pieces, from one snapshot. */
  take: (options: BackupActor = {}) => takeBackup(deps, audit, options),
  /** See `restoreBackup`: into an empty store only, in one transaction. */
  restore: (archive: unknown, options: BackupActor = {}) => restoreBackup(deps, audit, archive, options),
});

export type BackupUseCases = ReturnType<typeof createBackupUseCases>;
