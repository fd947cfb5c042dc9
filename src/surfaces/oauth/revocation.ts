import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Core } from '../../core/index.js';
import { tenantOf } from '../shared/tenant.js';
import { authenticateClient } from '../shared/token/client-auth.js';
import type { TokenOperationRequest } from './schemas.js';

/**
 * `POST /revoke` (RFC 7009): the client revokes one of its tokens. 200 whatever the token was (§2.2);
 * `token_type_hint` is not needed, the token's shape tells.
 */
export const revocationEndpoint = (core: Core) => async (request: FastifyRequest, reply: FastifyReply) => {
  const tenant = tenantOf(request);
  const params = request.body as TokenOperationRequest;
  const client = await authenticateClient(core, tenant, request, params);
  await core.tokens.revokeToken({ tenant, client, token: params.token, ip: request.ip });
  return reply.code(200).send();
};
