import { GatehouseError } from '../../core/errors.js';
import type { Tenant } from '../../core/tenants/tenant.js';

/**
 * The Flex wire has no second-factor step. Where the tenant's policy asks for one after this kind of sign-in, the
 * sign-in is refused here rather than let through on one factor.
 * @throws GatehouseError `mfa_required`
 */
export const refuseWhereSecondFactorRequired = (tenant: Tenant, method: 'password' | 'social'): void => {
  const { mfa } = tenant.policies;
  if (mfa === 'all' || (mfa === 'social' && method === 'social'))
    throw new GatehouseError(
      'mfa_required',
      'this marketplace requires a second factor, which the Flex API cannot ask for',
    );
};
