import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Core } from '../../core/index.js';
import { recordAdminEvent } from './context.js';
import { KeyView, ListOf, problemResponses, TenantParams } from './schemas.js';
import { keyView } from './views.js';

type Tenant = { Params: Static<typeof TenantParams> };
const tags = ['admin: signing keys'];

/** `/admin/tenants/:tenant/keys`: the tenant's signing keys (public facts only) and their rotation. */
export const keyRoutes = (app: FastifyInstance, core: Core): void => {
  app.get<Tenant>(
    '/tenants/:tenant/keys',
    {
      schema: {
        tags,
        summary: "List the tenant's signing keys (next, active, retired)",
        params: TenantParams,
        response: { 200: ListOf(KeyView), ...problemResponses },
      },
    },
    async (request) => {
      const tenant = await core.tenants.require(request.params.tenant);
      return { items: (await core.keys.list(tenant.id)).map(keyView) };
    },
  );

  app.post<Tenant>(
    '/tenants/:tenant/keys/rotate',
    {
      schema: {
        tags,
        summary: 'Rotate: the next key starts signing, the active one retires, a new next key is published',
        params: TenantParams,
        response: { 200: ListOf(KeyView), ...problemResponses },
      },
    },
    async (request) => {
      const tenant = await core.tenants.require(request.params.tenant);
      const keys = await core.keys.rotate(tenant.id);
      recordAdminEvent(core, request, {
        type: 'keys.rotated',
        tenantId: tenant.id,
        details: { active: keys.find((k) => k.state === 'active')?.kid },
      });
      return { items: keys.map(keyView) };
    },
  );
};
