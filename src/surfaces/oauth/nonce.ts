import { type Static, Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Core } from '../../core/index.js';
import { tenantOf } from '../shared/tenant.js';
import { authenticateClient } from '../shared/token/client-auth.js';

const Param = Type.String({ maxLength: 2000 });

/** The client, authenticated as at the token endpoint: a confidential client with its secret, a public one by its id. */
export const NonceRequest = Type.Object(
  { client_id: Type.Optional(Param), client_secret: Type.Optional(Param) },
  { additionalProperties: Param },
);
export type NonceRequest = Static<typeof NonceRequest>;

/**
 * `POST /t/{tenant}/nonce`: a nonce for a native app to hand its identity provider's SDK (Sign in with Apple: the
 * SHA-256 hex of it), so that the ID token it gets back carries it. The sign-in with that token, at any token-in
 * endpoint of this tenant and by this same client, spends it; it is good for five minutes and once.
 * `{"nonce", "expires_in"}`, never cached; errors as RFC 6749 JSON.
 */
export const nonceEndpoint = (core: Core) => async (request: FastifyRequest, reply: FastifyReply) => {
  const tenant = tenantOf(request);
  const client = await authenticateClient(core, tenant, request, request.body as NonceRequest);
  const issued = await core.login.issueNonce({ tenant, client, ip: request.ip });
  return reply
    .header('cache-control', 'no-store')
    .header('pragma', 'no-cache')
    .send({ nonce: issued.nonce, expires_in: issued.expiresIn });
};
