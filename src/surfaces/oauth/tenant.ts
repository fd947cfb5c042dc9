import type { FastifyRequest } from 'fastify';
import { GatehouseError } from '../../core/errors.js';
import type { Core } from '../../core/index.js';
import type { Tenant } from '../../core/tenants/tenant.js';

const resolved = new WeakMap<FastifyRequest, Tenant>();
const tenantIdShape = /^[a-z0-9][a-z0-9-]{0,62}$/;

/**
 * `onRequest` hook: resolves `/t/:tenant` before anything else (body parsing, validation), so an unknown tenant is a
 * 404 whatever else is wrong with the request. Tenants are cached by the core for a few seconds.
 */
export const tenantHook = (core: Core) => async (request: FastifyRequest) => {
  const { tenant: id } = (request.params ?? {}) as { tenant?: string };
  if (id === undefined) return;
  const tenant = tenantIdShape.test(id) ? await core.tenants.get(id) : undefined;
  if (tenant === undefined) throw new GatehouseError('not_found', `tenant ${JSON.stringify(id)} does not exist`);
  resolved.set(request, tenant);
};

/** The tenant `tenantHook` resolved for this request. */
export const tenantOf = (request: FastifyRequest): Tenant => {
  const tenant = resolved.get(request);
  if (tenant === undefined) throw new TypeError('tenantOf() on a route outside /t/:tenant');
  return tenant;
};
