import type { FastifyReply, FastifyRequest } from 'fastify';
import { GatehouseError } from '../../core/errors.js';
import type { Core } from '../../core/index.js';
import type { IntrospectionResult } from '../../core/tokens/introspection.js';
import { tenantOf } from '../shared/tenant.js';
import { authenticateClient } from '../shared/token/client-auth.js';
import type { TokenOperationRequest } from './schemas.js';

const epoch = (date: Date) => Math.floor(date.getTime() / 1000);

/** RFC 7662 §2.2 response members. */
const render = (result: IntrospectionResult, issuer: string) => {
  if (!result.active) return { active: false };
  if (result.kind === 'refresh_token')
    return {
      active: true,
      token_type: 'refresh_token',
      scope: result.scope.join(' '),
      client_id: result.clientId,
      sub: result.userId,
      iss: issuer,
      iat: epoch(result.issuedAt),
      exp: epoch(result.expiresAt),
    };
  const { claims } = result.token;
  return {
    active: true,
    token_type: 'Bearer',
    scope: result.token.scope.join(' '),
    client_id: result.token.clientId,
    sub: result.token.subject,
    iss: claims.iss,
    aud: claims.aud,
    jti: result.token.jti,
    iat: epoch(result.token.issuedAt),
    exp: epoch(result.token.expiresAt),
    ...(claims.auth_time === undefined ? {} : { auth_time: claims.auth_time }),
    ...(result.token.amr.length === 0 ? {} : { amr: result.token.amr }),
  };
};

/**
 * `POST /introspect` (RFC 7662): for resource servers, registered as confidential clients of the tenant. Any
 * inactive, foreign or unknown token is `{"active":false}`.
 */
export const introspectionEndpoint = (core: Core) => async (request: FastifyRequest, reply: FastifyReply) => {
  const tenant = tenantOf(request);
  const params = request.body as TokenOperationRequest;
  const client = await authenticateClient(core, tenant, request, params);
  // RFC 7662 §2.1: the caller must be authorized; a public client proves nothing about itself.
  if (client.public) throw new GatehouseError('invalid_client', 'introspection requires a confidential client');
  const result = await core.tokens.introspectToken(tenant, params.token);
  return reply.header('cache-control', 'no-store').send(render(result, core.tokens.issuerOf(tenant.id)));
};
