import type { Client } from '../../../core/clients/client.js';
import { GatehouseError } from '../../../core/errors.js';
import type { Core } from '../../../core/index.js';
import type { Tenant } from '../../../core/tenants/tenant.js';
import type { IssuedTokens } from '../../../core/tokens/tokens.js';
import type { TokenRequest } from '../schemas.js';

/** Everything a grant needs; the client is already authenticated and allowed this grant type. */
export interface GrantContext {
  readonly core: Core;
  readonly tenant: Tenant;
  readonly client: Client;
  /** The token request's form parameters (RFC spelling), each present at most once. */
  readonly params: TokenRequest;
  /** The caller's address (audit, rate limits). */
  readonly ip: string;
}

/** RFC 6749 §5.1 successful token response; extension grants add members (RFC 8693 `issued_token_type`). */
export interface TokenResponse {
  readonly access_token: string;
  readonly token_type: string;
  readonly expires_in: number;
  readonly scope?: string;
  readonly id_token?: string;
  readonly refresh_token?: string;
  readonly [member: string]: unknown;
}

/**
 * One grant type of the token endpoint (oidc-provider style: one file each, listed in `grants/index.ts`).
 * A handler reads its parameters from `params`, calls core use-cases, and returns the response body; it throws a
 * `GatehouseError` for anything wrong (rendered as RFC 6749 §5.2 JSON by the surface). A new grant — RFC 8693 token
 * exchange, say — is one file exporting a `GrantHandler` and one line in the registry; clients opt in through their
 * `grantTypes`, and discovery lists it.
 */
export type GrantHandler = (context: GrantContext) => Promise<TokenResponse>;

/** Renders issued tokens in RFC 6749 §5.1 spelling. */
export const toTokenResponse = (issued: IssuedTokens): TokenResponse => ({
  access_token: issued.accessToken,
  token_type: issued.tokenType,
  expires_in: issued.expiresIn,
  scope: issued.scope,
  ...(issued.idToken === undefined ? {} : { id_token: issued.idToken }),
  ...(issued.refreshToken === undefined ? {} : { refresh_token: issued.refreshToken }),
});

/** A parameter the grant cannot do without. @throws GatehouseError `invalid_request` */
export const required = (params: TokenRequest, name: keyof TokenRequest & string): string => {
  const value = params[name];
  if (typeof value !== 'string' || value === '') throw new GatehouseError('invalid_request', `${name} is missing`);
  return value;
};
