import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Core } from '../../core/index.js';
import { principalOf } from './auth.js';
import { recordAdminEvent } from './context.js';
import { ListOf, problemResponses, TenantInput, TenantParams, TenantPatch, TenantView } from './schemas.js';
import { tenantView } from './views.js';

type Params = { Params: Static<typeof TenantParams> };
const tags = ['admin: tenants'];

/** `/admin/tenants`: create, list, show, update, delete. */
export const tenantRoutes = (app: FastifyInstance, core: Core): void => {
  app.post<{ Body: Static<typeof TenantInput> }>(
    '/tenants',
    {
      schema: {
        tags,
        summary: 'Create a tenant',
        body: TenantInput,
        response: { 201: TenantView, ...problemResponses },
      },
    },
    async (request, reply) => {
      const tenant = await core.tenants.create(request.body);
      recordAdminEvent(core, request, { type: 'tenant.created', tenantId: tenant.id });
      return reply.code(201).send(tenantView(tenant));
    },
  );

  app.get(
    '/tenants',
    { schema: { tags, summary: 'List tenants', response: { 200: ListOf(TenantView), ...problemResponses } } },
    async (request) => {
      const principal = principalOf(request);
      // A token of one tenant sees that tenant only.
      const visible = (id: string) =>
        principal.kind === 'operator' || principal.tenantId === null || principal.tenantId === id;
      return { items: (await core.tenants.list()).filter((t) => visible(t.id)).map(tenantView) };
    },
  );

  app.get<Params>(
    '/tenants/:tenant',
    {
      schema: {
        tags,
        summary: 'Show a tenant',
        params: TenantParams,
        response: { 200: TenantView, ...problemResponses },
      },
    },
    async (request) => tenantView(await core.tenants.require(request.params.tenant)),
  );

  app.patch<Params & { Body: Static<typeof TenantPatch> }>(
    '/tenants/:tenant',
    {
      schema: {
        tags,
        summary: 'Update a tenant (name, policies, host names)',
        params: TenantParams,
        body: TenantPatch,
        response: { 200: TenantView, ...problemResponses },
      },
    },
    async (request) => {
      const tenant = await core.tenants.update(request.params.tenant, request.body);
      recordAdminEvent(core, request, {
        type: 'tenant.updated',
        tenantId: tenant.id,
        details: { fields: Object.keys(request.body) },
      });
      return tenantView(tenant);
    },
  );

  app.delete<Params>(
    '/tenants/:tenant',
    {
      schema: {
        tags,
        summary: 'Delete a tenant and everything in it',
        params: TenantParams,
        response: { 204: { type: 'null' }, ...problemResponses },
      },
    },
    async (request, reply) => {
      await core.tenants.remove(request.params.tenant);
      recordAdminEvent(core, request, { type: 'tenant.deleted', tenantId: request.params.tenant });
      return reply.code(204).send();
    },
  );
};
