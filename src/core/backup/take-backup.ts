import { createHash } from 'node:crypto';
import { backedUpTables, openSnapshot } from '../../store/backup.js';
import type { AuditLog } from '../audit/events.js';
import type { CoreDeps } from '../deps.js';
import type { BackupActor } from './archive.js';
import { backupFormat, keyCheckText } from './archive.js';

/**
 * Writes a backup archive (see `BackupArchive`) as text, a piece at a time, from one consistent snapshot of the store
 * (one `REPEATABLE READ` transaction, held until the last piece is read or the reader stops). Rows are written as
 * stored: secrets stay digests, hashes or sealed values. A line break follows each row for readers; the digest is over
 * the compact JSON, so it does not depend on them.
 */
export async function* takeBackup(deps: CoreDeps, audit: AuditLog, options: BackupActor = {}): AsyncGenerator<string> {
  const snapshot = await openSnapshot(deps.db);
  try {
    const hash = createHash('sha256');
    const piece = (json: string): string => {
      hash.update(json);
      return json;
    };
    const head = JSON.stringify({
      format: backupFormat,
      migration: snapshot.migration,
      takenAt: deps.clock.now().toISOString(),
      keyCheck: deps.secretBox.seal(keyCheckText),
    });
    yield `${piece(`${head.slice(0, -1)},"tables":{`)}\n`;
    const counts: Record<string, number> = {};
    for (const [index, table] of backedUpTables.entries()) {
      yield `${index === 0 ? '' : `${piece(',')}\n`}${piece(`${JSON.stringify(table)}:[`)}`;
      let count = 0;
      for await (const page of snapshot.rows(table)) {
        yield page.map((row) => `${count++ === 0 ? '\n' : `${piece(',')}\n`}${piece(JSON.stringify(row))}`).join('');
      }
      counts[table] = count;
      yield `${count === 0 ? '' : '\n'}${piece(']')}`;
    }
    yield `\n${piece('}')}`;
    // The body the digest covers closes here; the archive goes on with the digest itself.
    hash.update('}');
    yield `,"sha256":${JSON.stringify(hash.digest('base64url'))}}\n`;
    audit.record({
      type: 'backup.taken',
      outcome: 'success',
      actor: options.actor ?? 'system',
      ...(options.ip === undefined ? {} : { ip: options.ip }),
      details: { counts },
    });
  } finally {
    await snapshot.close();
  }
}
