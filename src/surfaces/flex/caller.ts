import type { FastifyRequest } from 'fastify';
import type { Client } from '../../core/clients/client.js';
import { GatehouseError } from '../../core/errors.js';
import type { Core } from '../../core/index.js';
import type { Tenant } from '../../core/tenants/tenant.js';
import type { AccessTokenClaims } from '../../core/tokens/tokens.js';

/** The marketplace (tenant) and application a request comes from. */
export interface FlexCaller {
  readonly tenant: Tenant;
  readonly client: Client;
}

/** A caller with a verified access token. */
export interface FlexBearer extends FlexCaller {
  readonly token: AccessTokenClaims;
}

/**
 * The client of an Auth API request; the tenant comes from it. RFC 6749 §2.3 / §3.2.1: a confidential client
 * authenticates with its secret on every request, whatever the grant; a public client (an app in the browser, where
 * `sharetribe-flex-sdk` sends no secret) is identified by its id alone and cannot present a secret.
 * @throws GatehouseError `invalid_client`
 */
export const identifyClient = async (
  core: Core,
  request: FastifyRequest,
  clientId: string,
  clientSecret: string | undefined,
): Promise<FlexCaller> => {
  const client = await core.clients.authenticate(
    clientSecret === undefined
      ? { method: 'none', clientId }
      : { method: 'client_secret_post', clientId, clientSecret },
    undefined,
    { ip: request.ip },
  );
  const tenant = await core.tenants.get(client.tenantId);
  if (tenant === undefined) throw new GatehouseError('invalid_client', 'client authentication failed');
  return { tenant, client };
};

/** RFC 6750 §2.1: `Authorization: Bearer <token>`. @throws GatehouseError `invalid_token` */
export const bearerTokenOf = (request: FastifyRequest): string => {
  const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i.exec(request.headers.authorization?.trim() ?? '');
  if (match?.[1] === undefined) throw new GatehouseError('invalid_token', 'a Bearer access token is required');
  return match[1];
};

/**
 * Verifies the request's access token. The Marketplace API names no client, so the token itself says which client,
 * and so which tenant, to verify it against (`core.tokens.verifyAccessTokenOfClient`).
 * @throws GatehouseError `invalid_token`
 */
export const verifyBearer = async (core: Core, request: FastifyRequest): Promise<FlexBearer> => {
  const { tenant, client, claims } = await core.tokens.verifyAccessTokenOfClient(bearerTokenOf(request));
  return { tenant, client, token: claims };
};

/** Scopes of the Flex wire: an anonymous token reads public data; a user token acts as its user. */
export const anonymousScope = 'public-read';
export const userScope = 'user';

/**
 * Requires a Flex token: `public-read` or `user`.
 * @throws GatehouseError `insufficient_scope`
 */
export const requireFlexScope = (bearer: FlexBearer): void => {
  if (!bearer.token.scope.includes(anonymousScope) && !bearer.token.scope.includes(userScope))
    throw new GatehouseError('insufficient_scope', 'the access token is not a Marketplace API token');
};

/**
 * Requires a user token (scope `user`).
 * @throws GatehouseError `forbidden`
 */
export const requireUser = (bearer: FlexBearer): string => {
  const userId = bearer.token.userId;
  if (userId === undefined || !bearer.token.scope.includes(userScope))
    throw new GatehouseError('forbidden', 'this requires a user access token');
  return userId;
};
