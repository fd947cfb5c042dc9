import { GatehouseError } from '../errors.js';
import type { Tenant } from '../tenants/tenant.js';

/** The second factors a tenant can allow (`policies.mfaFactors`). */
export type MfaFactorKind = 'email' | 'totp' | 'recovery_code';

const defaultFactors: readonly MfaFactorKind[] = ['email', 'totp', 'recovery_code'];

/** The factors the tenant allows, in its order of preference. */
export const allowedFactors = (tenant: Tenant): readonly MfaFactorKind[] =>
  tenant.policies.mfaFactors ?? defaultFactors;

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
 * Does this login need a second factor? The tenant's `mfa` policy decides: `off` never, `social` after an upstream
 * (IdP) sign-in, `all` after every sign-in. The same rule as {@link secondFactorSatisfied}, asked before the factor.
 */
export const secondFactorRequired = (tenant: Tenant, firstFactor: 'upstream' | 'password'): boolean =>
  !secondFactorSatisfied(tenant, [firstFactor === 'upstream' ? 'external' : 'pwd']);

/** How many wrong answers end a login (`LoginFailure`). */
export const maxWrongAnswers = 5;

/** Limits on answers and emails, counted in the shared key-value store (fixed windows). */
export const mfaRateLimits = {
  /** Any answer, poll or email start, per login flow. */
  attemptsPerFlow: { points: 30, windowSeconds: 10 * 60 },
  /** Any answer, per user across flows. */
  attemptsPerUser: { points: 60, windowSeconds: 15 * 60 },
  /** Wrong answers per user across flows: a new flow does not buy new guesses. */
  wrongAnswersPerUser: { points: 10, windowSeconds: 15 * 60 },
  /** Sign-in emails per flow and per user. */
  emailsPerFlow: { points: 3, windowSeconds: 10 * 60 },
  emailsPerUser: { points: 6, windowSeconds: 15 * 60 },
} as const;
