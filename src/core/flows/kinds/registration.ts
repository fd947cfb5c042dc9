import { GatehouseError } from '../../errors.js';
import type { Tenant } from '../../tenants/tenant.js';
import type { AssuranceLevel } from '../assurance.js';
import type { StrategyName } from '../strategy.js';

/** How an account is being created: a password chosen on sign-up, an identity provider, or a mailed code. */
export type SignupMethod = 'password' | 'upstream' | 'email_code';

/** The tenant's `signup` policy; absent means `both`, what every tenant could do before the policy existed. */
export const signupPolicy = (tenant: Tenant): 'off' | 'password' | 'upstream' | 'both' =>
  tenant.policies.signup ?? 'both';

/**
 * Whether the tenant lets a person create an account by `method`: `password` under `password` or `both`, `upstream`
 * under `upstream` or `both`, and a mailed code (which proves the address) whenever sign-up is not `off`.
 */
export const signupAllows = (tenant: Tenant, method: SignupMethod): boolean => {
  const policy = signupPolicy(tenant);
  switch (method) {
    case 'password':
      return policy === 'password' || policy === 'both';
    case 'upstream':
      return policy === 'upstream' || policy === 'both';
    case 'email_code':
      return policy !== 'off';
  }
};

/** @throws GatehouseError `access_denied` when the tenant does not let anyone create an account by `method`. */
export const requireSignupAllowed = (tenant: Tenant, method: SignupMethod): void => {
  if (!signupAllows(tenant, method))
    throw new GatehouseError('access_denied', 'this tenant does not let new accounts be created this way');
};

/**
 * The `registration` kind: a person creates an account.
 * - Level 1: a `password` chosen now (the account starts with an unverified address, and a `verification` flow is
 *   mailed), an `upstream` identity (the account decision creates it, `accounts/resolve-account.ts`), or an
 *   `email_code` answered (the address is proven, so the account starts verified).
 * - Completing it: the account exists. Which methods a tenant allows is its `signup` policy ({@link signupAllows}).
 *
 * A sign-up's answer never says whether the address had an account: the owner of a taken address is mailed a note
 * instead, and the person signing up is told to check their mail either way.
 */
export const registrationKind = {
  kind: 'registration',
  accepts: {
    1: ['password', 'upstream', 'email_code'],
    2: [],
  },
} as const satisfies { kind: string; accepts: Record<AssuranceLevel, readonly StrategyName[]> };
