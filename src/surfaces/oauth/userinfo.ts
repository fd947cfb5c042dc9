import type { FastifyReply, FastifyRequest } from 'fastify';
import { GatehouseError } from '../../core/errors.js';
import type { Core } from '../../core/index.js';
import { bearerTokenOf } from '../shared/bearer.js';
import { tenantOf } from '../shared/tenant.js';

/** RFC 6750 §2.1 header, or §2.2 form body (POST only); never both, never the query (§2.3 is not supported). */
const bearerToken = (request: FastifyRequest): string => {
  const header = request.headers.authorization;
  const form =
    request.method === 'POST' ? (request.body as Record<string, unknown> | undefined)?.access_token : undefined;
  if (form !== undefined && typeof form !== 'string')
    throw new GatehouseError('invalid_request', 'access_token was sent more than once');
  if (header !== undefined && form !== undefined)
    throw new GatehouseError('invalid_request', 'the access token was sent in more than one way');
  if (form !== undefined) return form;
  // RFC 6750 §3.1: no credentials at all is `unauthorized` (a bare challenge); a bad token is `invalid_token`.
  if (header === undefined) throw new GatehouseError('unauthorized', 'a Bearer access token is required');
  const token = bearerTokenOf(header);
  if (token === undefined) throw new GatehouseError('invalid_token', 'the Authorization header is not a Bearer token');
  return token;
};

/** `GET|POST /userinfo` (OIDC Core §5.3): the claims the access token's scopes release. */
export const userinfoEndpoint = (core: Core) => async (request: FastifyRequest, reply: FastifyReply) =>
  reply.send(await core.tokens.userInfo(tenantOf(request).id, bearerToken(request)));
