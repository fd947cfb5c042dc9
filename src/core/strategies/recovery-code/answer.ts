import { factorsRepo } from '../../../store/repositories/mfa-factors.js';
import type { CoreDeps } from '../../deps.js';
import type { StepStrategy } from '../../flows/strategy.js';
import { recoveryCodeDigest } from './codes.js';

/** `recovery_code`: one of the user's recovery codes, each usable once. */
export const createRecoveryCodeStrategy = (deps: CoreDeps): StepStrategy => ({
  name: 'recovery_code',
  answerType: 'text',
  amr: ['otp'],
  offerTo: (_user, factors) => (factors.some((f) => f.kind === 'recovery_code' && f.used_at === null) ? {} : undefined),
  offerBlind: () => ({}),
  answer: async ({ tenant, userId }, answer) => {
    if (userId === undefined || answer.length > 64) return undefined;
    const used = await factorsRepo.useCode(deps.db, tenant.id, userId, recoveryCodeDigest(answer), deps.clock.now());
    return used === undefined ? undefined : userId;
  },
});
