import type { Static } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { GatehouseError } from '../../core/errors.js';
import type { Core } from '../../core/index.js';
import { okEnvelope, sendEnvelope } from './envelope.js';
import { newPackageResult } from './render.js';
import type { StartAuthenticationBody } from './schemas.js';
import { securityContext } from './tenant.js';
import { securityApiTarget } from './token-policy.js';

/**
 * `POST /Security/StartAuthentication` `{TenantId, User, Version}`: a NewPackage whose first challenge is the password
 * (`UP`), followed by the tenant's second factors when its policy asks for them. The tokens are for `ClientId`
 * (a Gatehouse addition), or the tenant's only client.
 */
export const startAuthentication = (core: Core) => async (request: FastifyRequest, reply: FastifyReply) => {
  const body = request.body as Static<typeof StartAuthenticationBody>;
  const { tenant } = await securityContext(core, request, body.TenantId);
  let clientId = body.ClientId;
  if (clientId === undefined) {
    const clients = await core.clients.list(tenant.id);
    if (clients.length !== 1)
      throw new GatehouseError('invalid_request', 'ClientId is required: the tenant has more than one client');
    clientId = clients[0]?.clientId ?? '';
  }
  const client = await core.clients.require(tenant.id, clientId);
  const started = await core.login.startPasswordLogin({
    tenant,
    username: body.User,
    target: securityApiTarget(client.clientId),
  });
  return sendEnvelope(reply, okEnvelope(newPackageResult(started.package)));
};
