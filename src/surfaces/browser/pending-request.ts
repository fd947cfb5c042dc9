import type { FastifyRequest } from 'fastify';
import { GatehouseError } from '../../core/errors.js';
import type { Core } from '../../core/index.js';
import type { Tenant } from '../../core/tenants/tenant.js';
import { bindingCookie, readCookie } from '../shared/cookies.js';

/**
 * The pending authorization request of the `:request` path parameter that this browser started (its binding cookie,
 * scoped to the request's sign-in pages), with that binding.
 * @throws GatehouseError `flow_invalid` when it is unknown, expired or another browser's
 */
export const pendingRequest = async (core: Core, tenant: Tenant, request: FastifyRequest) => {
  const { request: id } = request.params as { request: string };
  const binding = readCookie(request, bindingCookie(core.settings.publicUrl, tenant.id, id));
  const pending =
    binding === undefined ? undefined : await core.login.authorizationRequests.find(tenant.id, id, binding);
  if (pending === undefined || binding === undefined)
    throw new GatehouseError(
      'flow_invalid',
      'the sign-in request is unknown, expired or was started in another browser',
    );
  return { pending, binding };
};
