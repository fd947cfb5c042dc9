import type { GrantType } from '../../../core/clients/client.js';
import { authorizationCodeGrant } from './authorization-code.js';
import { clientCredentialsGrant } from './client-credentials.js';
import type { GrantHandler } from './grant.js';
import { passwordGrant } from './password.js';
import { refreshTokenGrant } from './refresh-token.js';
import { tokenExchangeGrant } from './token-exchange.js';

export type { GrantContext, GrantHandler, TokenResponse } from './grant.js';

/**
 * The grants of the token endpoint, by `grant_type`. A new grant is one file in this folder and one line here;
 * discovery's `grant_types_supported` is derived from this list.
 */
export const grantRegistry = {
  authorization_code: authorizationCodeGrant,
  refresh_token: refreshTokenGrant,
  client_credentials: clientCredentialsGrant,
  password: passwordGrant,
  'urn:ietf:params:oauth:grant-type:token-exchange': tokenExchangeGrant,
} as const satisfies Partial<Record<GrantType, GrantHandler>>;

export type RegisteredGrantType = keyof typeof grantRegistry;

export const registeredGrantTypes = Object.keys(grantRegistry) as RegisteredGrantType[];

const grants = new Map<string, { readonly type: RegisteredGrantType; readonly handle: GrantHandler }>(
  registeredGrantTypes.map((type) => [type, { type, handle: grantRegistry[type] }]),
);

/** The handler of `grantType`, if this surface serves it (case-sensitive, as RFC 6749 §4.5 names are). */
export const findGrant = (
  grantType: string,
): { readonly type: RegisteredGrantType; readonly handle: GrantHandler } | undefined => grants.get(grantType);
