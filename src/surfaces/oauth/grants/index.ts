import { type GrantType, grantTypes } from '../../../core/clients/client.js';
import { products } from '../../../core/sign-in/products.js';
import { providerGrant } from '../../sts/provider-grant.js';
import { authorizationCodeGrant } from './authorization-code.js';
import { clientCredentialsGrant } from './client-credentials.js';
import type { Grant } from './grant.js';
import type { GrantParameter } from './parameters.js';
import { passwordGrant } from './password.js';
import { refreshTokenGrant } from './refresh-token.js';
import { tokenExchangeGrant } from './token-exchange.js';

export type { Grant, GrantContext, TokenResponse } from './grant.js';

/** RFC 6749 and its extensions: served by every token endpoint, and listed by discovery. */
const standardGrants = {
  authorization_code: authorizationCodeGrant,
  refresh_token: refreshTokenGrant,
  client_credentials: clientCredentialsGrant,
  password: passwordGrant,
  'urn:ietf:params:oauth:grant-type:token-exchange': tokenExchangeGrant,
} as const satisfies Partial<Record<GrantType, Grant>>;

/**
 * The one grant registry: grant type → its parameters and handler (oidc-provider's `registerGrantType`). The STS
 * extension grants, one per product of the connector registry (`grant_type=Facebook`, case-sensitive), share one
 * handler. A new grant is one file in this folder and one line here; a new provider adds its grant by itself.
 */
export const grantRegistry: Readonly<Record<GrantType, Grant>> = Object.freeze({
  ...standardGrants,
  ...(Object.fromEntries(products.map((product) => [product.name, providerGrant])) as Record<
    (typeof products)[number]['name'],
    Grant
  >),
});

export type RegisteredGrantType = keyof typeof standardGrants;

/** The grants of the standard token endpoint (`/t/:tenant/token`): discovery's `grant_types_supported`. */
export const registeredGrantTypes = Object.keys(standardGrants) as RegisteredGrantType[];

/** The grants one token endpoint serves, found by `grant_type` (case-sensitive, as RFC 6749 §4.5 names are). */
export interface GrantSet {
  find(grantType: string): { readonly type: GrantType; readonly grant: Grant } | undefined;
  /** Every parameter one of its grants reads: its body schema. */
  readonly parameters: readonly GrantParameter[];
}

const grantSet = (types: readonly GrantType[]): GrantSet => {
  const served = new Map(types.map((type) => [type as string, { type, grant: grantRegistry[type] }]));
  return {
    find: (grantType) => served.get(grantType),
    parameters: types.flatMap((type) => grantRegistry[type].parameters),
  };
};

/** The standard token endpoint's grants. */
export const standardGrantSet = grantSet(registeredGrantTypes);

/** The STS token endpoint's grants (`/connect/token`): the standard ones and the provider grants. */
export const stsGrantSet = grantSet(grantTypes);
