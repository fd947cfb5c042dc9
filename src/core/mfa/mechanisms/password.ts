import { GatehouseError } from '../../errors.js';
import type { User } from '../../users/user.js';
import type { Mechanism } from './mechanism.js';

/** What the password check needs: the users' `verifyCredentials`, rate-limited per account and address. */
export interface PasswordVerifier {
  verifyCredentials(tenantId: string, email: string, password: string, context?: { ip?: string }): Promise<User>;
}

/**
 * `UP`: the user's password, checked with argon2id (unknown users cost the same). The verifier's own limits apply;
 * its `rate_limited` is passed on, not counted as a wrong answer.
 */
export const createPasswordMechanism = (users: PasswordVerifier): Mechanism => ({
  name: 'UP',
  answerType: 'text',
  amr: ['pwd'],
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
