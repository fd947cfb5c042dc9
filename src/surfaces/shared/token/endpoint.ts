import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Client } from '../../../core/clients/client.js';
import { GatehouseError } from '../../../core/errors.js';
import type { Core } from '../../../core/index.js';
import type { Tenant } from '../../../core/tenants/tenant.js';
import { tenantOf } from '../tenant.js';
import { authenticateClient, presentedClient } from './client-auth.js';
import type { GrantSet } from './grants/index.js';
import type { GrantParameter, TokenRequestBody } from './grants/parameters.js';

/** Where a token endpoint finds the tenant: in its URL (`/t/:tenant/token`), or from the client (STS `/connect/token`). */
export type TenantFrom = 'path' | 'client';

export interface TokenEndpointOptions {
  readonly grants: GrantSet;
  readonly tenantFrom: TenantFrom;
}

const served = (grants: GrantSet, grantType: string) => {
  const found = grants.find(grantType);
  if (found === undefined)
    throw new GatehouseError('unsupported_grant_type', `grant_type ${JSON.stringify(grantType)} is not supported`);
  return found;
};

/** The client of any tenant, authenticated; its tenant is the request's. */
const clientOfAnyTenant = async (core: Core, request: FastifyRequest, params: TokenRequestBody) => {
  const presented = presentedClient(request, params);
  const known = await core.clients.find(presented.clientId);
  if (known === undefined) throw new GatehouseError('invalid_client', 'client authentication failed');
  const tenant = await core.tenants.require(known.tenantId);
  return { tenant, client: await core.clients.authenticate(presented, tenant.id, { ip: request.ip }) };
};

/** Tenant, client and grant. Where the URL names the tenant, an unserved grant is refused before the client is asked. */
const callerOf = async (
  core: Core,
  request: FastifyRequest,
  params: TokenRequestBody,
  options: TokenEndpointOptions,
) => {
  if (options.tenantFrom === 'path') {
    const tenant: Tenant = tenantOf(request);
    const found = served(options.grants, params.grant_type);
    const client: Client = await authenticateClient(core, tenant, request, params);
    return { tenant, client, found };
  }
  const { tenant, client } = await clientOfAnyTenant(core, request, params);
  return { tenant, client, found: served(options.grants, params.grant_type) };
};

/** The parameters a grant accepts, of those the request carries: no other reaches it. */
export const acceptedParameters = (params: TokenRequestBody, names: readonly GrantParameter[]) =>
  Object.fromEntries(names.flatMap((name) => (params[name] === undefined ? [] : [[name, params[name]]])));

/**
 * `POST /token` (RFC 6749 §3.2), for every surface that has one: client authentication, then dispatch by `grant_type`
 * into the grant registry (`grants/`). The surface that mounts it renders its errors.
 */
export const tokenEndpoint =
  (core: Core, options: TokenEndpointOptions) => async (request: FastifyRequest, reply: FastifyReply) => {
    const params = request.body as TokenRequestBody;
    const { tenant, client, found } = await callerOf(core, request, params, options);
    if (!client.grantTypes.includes(found.type))
      throw new GatehouseError('unauthorized_client', `the client may not use grant_type ${found.type}`);
    const context = {
      core,
      tenant,
      client,
      grantType: found.type,
      params: acceptedParameters(params, found.grant.parameters),
    };
    // Every grant, token exchange included, runs under the refused-grant limit of (tenant, client, address).
    const response = await core.limits.grant({ tenantId: tenant.id, clientId: client.clientId, ip: request.ip }, () =>
      found.grant.handle({ ...context, ip: request.ip }),
    );
    // RFC 6749 §5.1.
    return reply.header('cache-control', 'no-store').header('pragma', 'no-cache').send(response);
  };
