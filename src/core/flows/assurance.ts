import { GatehouseError } from '../errors.js';
import type { Tenant } from '../tenants/tenant.js';
import type { StepStrategyName } from './strategy.js';

/**
 * Assurance levels: 1 is one strategy (a password, or an upstream IdP), 2 is one more strategy on top of it (a
 * "second factor"). A flow kind says which strategies it accepts at which level; MFA is a flow that needs level 2.
 */
export type AssuranceLevel = 1 | 2;

/** The second factors a tenant can allow (`policies.mfaFactors`), in the tenant configuration's words. */
export type MfaFactorKind = 'email' | 'totp' | 'recovery_code';

const defaultFactors: readonly MfaFactorKind[] = ['email', 'totp', 'recovery_code'];

/** The strategy each tenant factor names. */
const strategyOfFactor = {
  email: 'email_code',
  totp: 'totp',
  recovery_code: 'recovery_code',
} as const satisfies Record<MfaFactorKind, StepStrategyName>;

/** The factors the tenant allows, in its order of preference. */
export const allowedFactors = (tenant: Tenant): readonly MfaFactorKind[] =>
  tenant.policies.mfaFactors ?? defaultFactors;

/** The strategies the tenant accepts at level 2, in its order of preference. */
export const secondLevelStrategies = (tenant: Tenant): readonly StepStrategyName[] =>
  allowedFactors(tenant).map((factor) => strategyOfFactor[factor]);

/**
 * Does a sign-in that authenticated with `amr` (RFC 8176) meet the tenant's `mfa` policy as it is now? A sign-in that
 * answered a second factor (`mfa`) always does. Otherwise `off` does; `social` does when the first factor was named
 * and was not an upstream IdP (`external`); `all` never does. An empty `amr` says nothing about how the user signed
 * in, so it meets only `off`: the check fails closed.
 */
export const secondFactorSatisfied = (tenant: Tenant, amr: readonly string[]): boolean => {
  if (amr.includes('mfa')) return true;
  switch (tenant.policies.mfa) {
    case 'off':
      return true;
    case 'social':
      return amr.length > 0 && !amr.includes('external');
    case 'all':
      return false;
  }
};

/**
 * The one check every path from a sign-in to tokens, an authorization code or a browser session passes (issuing
 * tokens, rotating a refresh token, approving an authorization request, starting a session): the sign-in's `amr`
 * must meet the tenant's `mfa` policy (see {@link secondFactorSatisfied}).
 * @throws GatehouseError `mfa_required`
 */
export const requireSecondFactorSatisfied = (tenant: Tenant, amr: readonly string[]): void => {
  if (!secondFactorSatisfied(tenant, amr))
    throw new GatehouseError(
      'mfa_required',
      'a second factor is required for this sign-in and was not answered; sign in through the authorization endpoint, which asks for one',
    );
};

/**
 * Does this login need a second factor (level 2)? The tenant's `mfa` policy decides: `off` never, `social` after an
 * upstream (IdP) sign-in, `all` after every sign-in. The same rule as {@link secondFactorSatisfied}, asked before the
 * factor.
 */
export const secondFactorRequired = (tenant: Tenant, firstFactor: 'upstream' | 'password'): boolean =>
  !secondFactorSatisfied(tenant, [firstFactor === 'upstream' ? 'external' : 'pwd']);
