import { GatehouseError } from '../../errors.js';
import type { UserUseCases } from '../../users/users.js';
import type { Mechanism } from './mechanism.js';

/** `UP`: the user's password, checked with argon2id (unknown users cost the same). */
export const createPasswordMechanism = (users: UserUseCases): Mechanism => ({
  name: 'UP',
  answerType: 'text',
  amr: ['pwd'],
  answer: async ({ tenant, flow }, answer) => {
    if (flow.username === null) return undefined;
    try {
      return (await users.verifyCredentials(tenant.id, flow.username, answer)).id;
    } catch (error) {
      if (error instanceof GatehouseError && error.code === 'invalid_grant') return undefined;
      throw error;
    }
  },
});
