import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Core } from '../../core/index.js';
import { AuditEventView, AuditQuery, ListOf, problemResponses, TenantParams } from './schemas.js';
import { auditEventView } from './views.js';

/** `GET /admin/tenants/:tenant/audit`: the tenant's most recent audit events, newest first. */
export const auditRoutes = (app: FastifyInstance, core: Core): void => {
  app.get<{ Params: Static<typeof TenantParams>; Querystring: Static<typeof AuditQuery> }>(
    '/tenants/:tenant/audit',
    {
      schema: {
        tags: ['admin: audit'],
        summary: 'Recent audit events of a tenant, newest first',
        params: TenantParams,
        querystring: AuditQuery,
        response: { 200: ListOf(AuditEventView), ...problemResponses },
      },
    },
    async (request) => {
      const tenant = await core.tenants.require(request.params.tenant);
      await core.audit.flush();
      const limit = request.query.limit === undefined ? 100 : Number(request.query.limit);
      return { items: (await core.audit.list(tenant.id, limit)).map(auditEventView) };
    },
  );
};
