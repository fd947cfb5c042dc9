import type { FastifyReply, FastifyRequest } from 'fastify';
import { isGatehouseError } from '../../core/errors.js';
import type { Core } from '../../core/index.js';
import { bearerTokenOf } from '../shared/bearer.js';
import { okEnvelope, sendEnvelope } from './envelope.js';
import { authCookie, authCookieOptions } from './login-success.js';
import { optionalField } from './schemas.js';
import { securityContext } from './tenant.js';

const bearer = (request: FastifyRequest): string | undefined =>
  bearerTokenOf(request.headers.authorization) ?? request.cookies[authCookie];

/**
 * `POST /Security/Logout`: revokes the session's access token (from `Authorization: Bearer` or the `.ASPXAUTH`
 * cookie) and clears the cookie. Succeeds whether or not there was a session.
 */
export const logout = (core: Core) => async (request: FastifyRequest, reply: FastifyReply) => {
  const { tenant } = await securityContext(core, request, optionalField(request.body, 'TenantId'));
  const token = bearer(request);
  if (token !== undefined) {
    try {
      const claims = await core.tokens.verifyAccessToken(tenant.id, token);
      const client = await core.clients.require(tenant.id, claims.clientId);
      await core.tokens.revokeToken({ tenant, client, token, ip: request.ip });
    } catch (error) {
      if (!isGatehouseError(error) || (error.code !== 'invalid_token' && error.code !== 'not_found')) throw error;
    }
  }
  const { maxAge: _, ...options } = authCookieOptions(core.settings.publicUrl, 0);
  reply.clearCookie(authCookie, options);
  return sendEnvelope(reply, okEnvelope(null));
};
