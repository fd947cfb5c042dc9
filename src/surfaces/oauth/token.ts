import type { FastifyReply, FastifyRequest } from 'fastify';
import { GatehouseError } from '../../core/errors.js';
import type { Core } from '../../core/index.js';
import { authenticateClient } from './client-auth.js';
import { findGrant } from './grants/index.js';
import type { TokenRequest } from './schemas.js';
import { tenantOf } from './tenant.js';

/** `POST /token`: grant type dispatch only (RFC 6749 §3.2); each grant lives in `grants/`. */
export const tokenEndpoint = (core: Core) => async (request: FastifyRequest, reply: FastifyReply) => {
  const tenant = tenantOf(request);
  const params = request.body as TokenRequest;
  const grant = findGrant(params.grant_type);
  if (grant === undefined)
    throw new GatehouseError(
      'unsupported_grant_type',
      `grant_type ${JSON.stringify(params.grant_type)} is not supported`,
    );
  const client = await authenticateClient(core, tenant, request, params);
  if (!client.grantTypes.includes(grant.type))
    throw new GatehouseError('unauthorized_client', `the client may not use grant_type ${grant.type}`);
  // Every grant, token exchange included, runs under the refused-grant limit of (tenant, client, address).
  const response = await core.limits.grant({ tenantId: tenant.id, clientId: client.clientId, ip: request.ip }, () =>
    grant.handle({ core, tenant, client, params, ip: request.ip }),
  );
  // RFC 6749 §5.1.
  return reply.header('cache-control', 'no-store').header('pragma', 'no-cache').send(response);
};
