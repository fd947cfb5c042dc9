import type { Client } from '../../../../core/clients/client.js';
import { GatehouseError } from '../../../../core/errors.js';
import type { Core } from '../../../../core/index.js';
import type { Tenant } from '../../../../core/tenants/tenant.js';
import type { IssuedTokens } from '../../../../core/tokens/tokens.js';
import type { GrantParameter } from './parameters.js';

/** The parameters a grant reads, each present at most once (the endpoint's schema refused a repeated one). */
export type GrantParams<P extends GrantParameter> = { readonly [K in P]?: string };

/** Everything a grant needs; the client is already authenticated and allowed this grant type. */
export interface GrantContext<P extends GrantParameter = GrantParameter> {
  readonly core: Core;
  readonly tenant: Tenant;
  readonly client: Client;
  /** The grant type as requested (case-sensitive): one handler may serve several (the STS provider grants). */
  readonly grantType: string;
  /** The token request's parameters that this grant accepts (RFC spelling); no other reaches it. */
  readonly params: GrantParams<P>;
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
 * One grant type of the token endpoint (oidc-provider's `registerGrantType(name, handler, parameters)`): the
 * parameters it reads and its handler, listed by name in `grants/index.ts`. A handler reads `params`, calls core
 * use-cases, and returns the response body; it throws a `GatehouseError` for anything wrong (rendered by the surface
 * that mounts the endpoint). A new grant is one file exporting a `Grant` and one line in the registry; clients opt in
 * through their `grantTypes`.
 */
export interface Grant<P extends GrantParameter = GrantParameter> {
  readonly parameters: readonly P[];
  readonly handle: (context: GrantContext<P>) => Promise<TokenResponse>;
}

/** A grant that reads `parameters` (and only those: the compiler refuses any other `params.x`). */
export const defineGrant = <const P extends GrantParameter>(
  parameters: readonly P[],
  handle: (context: GrantContext<P>) => Promise<TokenResponse>,
): Grant<P> => ({ parameters, handle });

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
export const required = <P extends GrantParameter>(params: GrantParams<P>, name: P): string => {
  const value = params[name];
  if (typeof value !== 'string' || value === '') throw new GatehouseError('invalid_request', `${name} is missing`);
  return value;
};
