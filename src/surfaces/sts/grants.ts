import type { GrantType } from '../../core/clients/client.js';
import { products } from '../../core/sign-in/products.js';
import { type Grant, grantSet, standardGrants } from '../shared/token/grants/index.js';
import { providerGrant } from './provider-grant.js';

/**
 * Every grant a client can be allowed: the standard ones (`shared/token/grants/`) and the STS extension grants, one
 * per product of the connector registry (`grant_type=Facebook`, case-sensitive), sharing one handler. A new provider
 * adds its grant by itself.
 */
export const grantRegistry: Readonly<Record<GrantType, Grant>> = Object.freeze({
  ...standardGrants,
  ...(Object.fromEntries(products.map((product) => [product.name, providerGrant])) as Record<
    (typeof products)[number]['name'],
    Grant
  >),
});

/** The STS token endpoint's grants (`/connect/token`): the standard ones and the provider grants. */
export const stsGrantSet = grantSet(grantRegistry);
