import { GatehouseError } from '../../errors.js';
import type { StepStrategy } from '../../flows/strategy.js';
import type { User } from '../../users/user.js';

/** What the password check needs: the users' `verifyCredentials`, rate-limited per account and address. */
export interface PasswordVerifier {
  verifyCredentials(tenantId: string, email: string, password: string, context?: { ip?: string }): Promise<User>;
}

/**
 * `password`: the user's password, checked with argon2id (unknown users cost the same). The verifier's own limits
 * apply; its `rate_limited` is passed on, not counted as a wrong answer. Only ever a first step: it is offered by the
 * password begin half, never as a further strategy.
 */
export const createPasswordStrategy = (users: PasswordVerifier): StepStrategy => ({
  name: 'password',
  answerType: 'text',
  amr: ['pwd'],
  offerTo: () => undefined,
  offerBlind: () => undefined,
  answer: async ({ tenant, flow, ip }, answer) => {
    if (flow.username === null) return undefined;
    try {
      return (await users.verifyCredentials(tenant.id, flow.username, answer, ip === undefined ? {} : { ip })).id;
    } catch (error) {
      if (error instanceof GatehouseError && error.code === 'invalid_grant') return undefined;
      throw error;
    }
  },
});
