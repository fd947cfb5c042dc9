import type { Static } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Core } from '../../core/index.js';
import { okEnvelope, sendEnvelope } from './envelope.js';
import type { CleanupAuthenticationBody } from './schemas.js';
import { securityContext } from './tenant.js';

/** `POST /Security/CleanupAuthentication` `{SessionId}`: ends an unfinished authentication session. */
export const cleanupAuthentication = (core: Core) => async (request: FastifyRequest, reply: FastifyReply) => {
  const body = request.body as Static<typeof CleanupAuthenticationBody>;
  const { tenant } = await securityContext(core, request, body.TenantId);
  await core.login.cancelLogin(tenant, body.SessionId);
  return sendEnvelope(reply, okEnvelope(null));
};
