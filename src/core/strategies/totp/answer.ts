import { factorsRepo } from '../../../store/repositories/mfa-factors.js';
import type { CoreDeps } from '../../deps.js';
import type { StepStrategy } from '../../flows/strategy.js';
import { totpStep } from './totp.js';

/** `totp`: a code from the user's authenticator app. Each time step is accepted once (no replay within its window). */
export const createTotpStrategy = (deps: CoreDeps): StepStrategy => ({
  name: 'totp',
  answerType: 'text',
  amr: ['otp'],
  offerTo: (_user, factors) => (factors.some((f) => f.kind === 'totp' && f.confirmed_at !== null) ? {} : undefined),
  offerBlind: () => ({}),
  answer: async ({ tenant, userId }, answer) => {
    if (userId === undefined) return undefined;
    const factors = await factorsRepo.listByUser(deps.db, tenant.id, userId);
    const now = deps.clock.now();
    for (const factor of factors) {
      if (factor.kind !== 'totp' || factor.confirmed_at === null || factor.secret_enc === null) continue;
      const step = totpStep(deps, factor.secret_enc, answer, now);
      if (step !== undefined && (await factorsRepo.useStep(deps.db, factor.id, step)) !== undefined) return userId;
    }
    return undefined;
  },
});
