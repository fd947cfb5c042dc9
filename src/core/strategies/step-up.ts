import { sha256 } from '../../lib/crypto.js';
import { factorsRepo } from '../../store/repositories/mfa-factors.js';
import type { CoreDeps } from '../deps.js';
import { GatehouseError } from '../errors.js';
import { mfaRateLimits, peek } from '../flows/limits.js';
import type { Tenant } from '../tenants/tenant.js';
import { recoveryCodeDigest } from './recovery-code/codes.js';
import { totpStep } from './totp/totp.js';

/** How recent the sign-in behind a change of second factors must be. */
export const stepUpMaxAgeSeconds = 5 * 60;

/** What the caller proves about the sign-in that asks for the change (its token's or session's claims). */
export interface StepUpProof {
  /** When the user last authenticated (`auth_time`). */
  readonly authTime: Date | undefined;
  /** How (`amr`): `mfa` when a second factor was answered at that sign-in. */
  readonly amr: readonly string[];
  /** A code of a factor the user already has (authenticator app or recovery code), answered now instead of `mfa`. */
  readonly currentCode?: string;
}

/** Why a step-up failed (`details.reason` of the error), so that a page can say what to do. */
export type StepUpShortfall = 'sign_in_again' | 'code_needed' | 'code_wrong';

const stepUpRequired = (reason: StepUpShortfall, description: string) =>
  new GatehouseError('step_up_required', description, { details: { reason } });

/**
 * Creates the step-up check of a change to a user's second factors (sudo mode): the sign-in behind the request is at
 * most {@link stepUpMaxAgeSeconds} old, and when the user already has a second factor (a confirmed authenticator, or
 * unused recovery codes), that sign-in answered one (`mfa` in `amr`), or `currentCode` is a valid code of one now
 * (each TOTP step and recovery code works once; wrong codes count against the user's wrong-answer limit).
 */
export const createRequireStepUp =
  (deps: CoreDeps) =>
  /**
   * @throws GatehouseError `step_up_required` (too old, or the existing factor was not proved; `details.reason` says
   *   which: {@link StepUpShortfall}), `rate_limited`
   */
  async (tenant: Tenant, userId: string, proof: StepUpProof): Promise<void> => {
    const now = deps.clock.now();
    if (proof.authTime === undefined || now.getTime() - proof.authTime.getTime() > stepUpMaxAgeSeconds * 1000)
      throw stepUpRequired(
        'sign_in_again',
        'changing a second factor needs a sign-in from the last 5 minutes; sign in again',
      );
    const factors = await factorsRepo.listByUser(deps.db, tenant.id, userId);
    const totps = factors.filter((f) => f.kind === 'totp' && f.confirmed_at !== null && f.secret_enc !== null);
    const hasRecovery = factors.some((f) => f.kind === 'recovery_code' && f.used_at === null);
    if ((totps.length === 0 && !hasRecovery) || proof.amr.includes('mfa')) return;
    const code = proof.currentCode?.trim() ?? '';
    if (code === '' || code.length > 64)
      throw stepUpRequired(
        'code_needed',
        'enter a code of your current authenticator app, or a recovery code, to change it',
      );
    const userKey = userId;
    if ((await peek(deps.kv, 'wrong_user', userKey)) >= mfaRateLimits.wrongAnswersPerUser.points)
      throw new GatehouseError('rate_limited', 'too many wrong answers; try again later');
    for (const factor of totps) {
      const step = totpStep(deps, factor.secret_enc ?? '', code, now);
      if (step !== undefined && (await factorsRepo.useStep(deps.db, factor.id, step)) !== undefined) return;
    }
    if ((await factorsRepo.useCode(deps.db, tenant.id, userId, recoveryCodeDigest(code), now)) !== undefined) return;
    await deps.kv.increment(`mfa:wrong_user:${sha256(userKey)}`, mfaRateLimits.wrongAnswersPerUser.windowSeconds);
    throw stepUpRequired('code_wrong', 'that code is wrong or was already used');
  };

export type RequireStepUp = ReturnType<typeof createRequireStepUp>;
