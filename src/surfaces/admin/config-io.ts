import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { actorOf } from '../../core/admin-tokens/admin-tokens.js';
import type { Core } from '../../core/index.js';
import { principalOf } from './auth.js';
import { ConfigDocument, ExportQuery, ImportResultView, problemResponses } from './schemas.js';

const tags = ['admin: import/export'];

/** `GET /admin/export` and `POST /admin/import`: the configuration document of docs/import-export.md. */
export const configIoRoutes = (app: FastifyInstance, core: Core): void => {
  app.get<{ Querystring: Static<typeof ExportQuery> }>(
    '/export',
    {
      schema: {
        tags,
        summary: 'Export the configuration (every tenant, or one); secrets only as digests or sealed values',
        querystring: ExportQuery,
        response: { 200: ConfigDocument, ...problemResponses },
      },
    },
    async (request) =>
      core.configIo.exportConfig(request.query.tenant === undefined ? {} : { tenants: [request.query.tenant] }),
  );

  app.post<{ Body: Static<typeof ConfigDocument> }>(
    '/import',
    {
      schema: {
        tags,
        summary: 'Apply a configuration document idempotently, in one transaction',
        body: ConfigDocument,
        response: { 200: ImportResultView, ...problemResponses },
      },
    },
    async (request) => core.configIo.importConfig(request.body, { actor: actorOf(principalOf(request)) }),
  );
};
