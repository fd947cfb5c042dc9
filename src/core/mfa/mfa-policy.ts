import type { Tenant } from '../tenants/tenant.js';

/** The second factors a tenant can allow (`policies.mfaFactors`). */
export type MfaFactorKind = 'email' | 'totp' | 'recovery_code';

const defaultFactors: readonly MfaFactorKind[] = ['email', 'totp', 'recovery_code'];

/** The factors the tenant allows, in its order of preference. */
export const allowedFactors = (tenant: Tenant): readonly MfaFactorKind[] =>
  tenant.policies.mfaFactors ?? defaultFactors;

/**
 * Does this login need a second factor? The tenant's `mfa` policy decides: `off` never, `social` after an upstream
 * (IdP) sign-in, `all` after every sign-in.
 */
export const secondFactorRequired = (tenant: Tenant, firstFactor: 'upstream' | 'password'): boolean => {
  switch (tenant.policies.mfa) {
    case 'off':
      return false;
    case 'social':
      return firstFactor === 'upstream';
    case 'all':
      return true;
  }
};

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
