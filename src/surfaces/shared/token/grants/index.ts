import type { GrantType } from '../../../../core/clients/client.js';
import { authorizationCodeGrant } from './authorization-code.js';
import { clientCredentialsGrant } from './client-credentials.js';
import type { Grant } from './grant.js';
import type { GrantParameter } from './parameters.js';
import { passwordGrant } from './password.js';
import { refreshTokenGrant } from './refresh-token.js';
import { tokenExchangeGrant } from './token-exchange.js';

export type { Grant, GrantContext, TokenResponse } from './grant.js';

/** RFC 6749 and its extensions: served by every token endpoint, and listed by discovery. */
export const standardGrants = {
  authorization_code: authorizationCodeGrant,
  refresh_token: refreshTokenGrant,
  client_credentials: clientCredentialsGrant,
  password: passwordGrant,
  'urn:ietf:params:oauth:grant-type:token-exchange': tokenExchangeGrant,
} as const satisfies Partial<Record<GrantType, Grant>>;

export type RegisteredGrantType = keyof typeof standardGrants;

/** The grants of the standard token endpoint (`/t/:tenant/token`): discovery's `grant_types_supported`. */
export const registeredGrantTypes = Object.keys(standardGrants) as RegisteredGrantType[];

/** The grants one token endpoint serves, found by `grant_type` (case-sensitive, as RFC 6749 §4.5 names are). */
export interface GrantSet {
  find(grantType: string): { readonly type: GrantType; readonly grant: Grant } | undefined;
  /** Every parameter one of its grants reads: its body schema. */
  readonly parameters: readonly GrantParameter[];
}

/**
 * The grants of one token endpoint, by grant type (oidc-provider's `registerGrantType`): the surface that mounts the
 * endpoint chooses them, the standard ones and its own (the STS adds its provider grants).
 */
export const grantSet = (grants: Readonly<Partial<Record<GrantType, Grant>>>): GrantSet => {
  const served = new Map(
    Object.entries(grants).flatMap(([type, grant]) =>
      grant === undefined ? [] : [[type, { type: type as GrantType, grant }] as const],
    ),
  );
  return {
    find: (grantType) => served.get(grantType),
    parameters: [...served.values()].flatMap(({ grant }) => grant.parameters),
  };
};

/** The standard token endpoint's grants. */
export const standardGrantSet = grantSet(standardGrants);
