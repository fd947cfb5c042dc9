import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { Core } from '../../core/index.js';
import { BackupArchive, problemResponses, RestoreResultView } from './schemas.js';

const tags = ['admin: backup and restore'];

/** The largest archive `POST /admin/restore` reads; the CLI (`gatehouse restore FILE`) has no such limit. */
export const restoreBodyLimit = 256 * 1024 * 1024;

/** `GET /admin/backup` and `POST /admin/restore`: the whole store as a versioned archive (docs/operations.md). */
export const backupRoutes = (app: FastifyInstance, core: Core): void => {
  app.get(
    '/backup',
    {
      schema: {
        tags,
        summary: 'Stream a backup archive of every durable table, from one consistent snapshot',
        response: { 200: BackupArchive, ...problemResponses },
      },
    },
    async (request, reply) => {
      const name = `gatehouse-backup-${new Date().toISOString().slice(0, 19).replaceAll(':', '')}Z.json`;
      return reply
        .type('application/json')
        .header('content-disposition', `attachment; filename="${name}"`)
        .send(Readable.from(core.backup.take({ actor: 'admin', ip: request.ip })));
    },
  );

  app.post(
    '/restore',
    {
      bodyLimit: restoreBodyLimit,
      // The core checks the archive in a fixed order (format and version first, so that a newer archive is named as
      // such, then shape, digest and master key); the schema here documents it.
      validatorCompiler: () => () => true,
      schema: {
        tags,
        summary: 'Restore a backup archive into an empty store, in one transaction (the same master key is needed)',
        body: BackupArchive,
        response: { 200: RestoreResultView, ...problemResponses },
      },
    },
    async (request) => core.backup.restore(request.body, { actor: 'admin', ip: request.ip }),
  );
};
