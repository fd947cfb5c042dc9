import type { DbExecutor } from '../../../store/database.js';
import { selfServiceFlowsRepo } from '../../../store/repositories/self-service-flows.js';
import { usersRepo } from '../../../store/repositories/users.js';
import type { SelfServiceFlowRow } from '../../../store/schema.js';
import type { AssuranceLevel } from '../assurance.js';
import type { StrategyName } from '../strategy.js';

/**
 * The `verification` kind: a person proves they receive mail at an address.
 * - Level 1: `email_code`, a six-digit code or a link mailed to that very address (bound to it: a code for one
 *   address never verifies another).
 * - Completing it: the account whose address it still is gets `email_verified`. It links and merges nothing: an
 *   address verified on one account says nothing about any other account or identity.
 */
export const verificationKind = {
  kind: 'verification',
  accepts: {
    1: ['email_code'],
    2: [],
  },
} as const satisfies { kind: string; accepts: Record<AssuranceLevel, readonly StrategyName[]> };

/**
 * Completes an answered verification flow, in `trx`: the flow is spent (once, unexpired) and the user is marked
 * verified only while the user's address is still the one the code was mailed to.
 * @returns the user's id, or undefined when the flow was spent meanwhile or the address is no longer the user's.
 */
export const completeVerification = async (
  trx: DbExecutor,
  flow: SelfServiceFlowRow,
  now: Date,
): Promise<string | undefined> => {
  if (flow.user_id === null) return undefined;
  const spent = await selfServiceFlowsRepo.complete(trx, flow.id, now);
  if (spent === undefined) return undefined;
  const user = await usersRepo.find(trx, flow.tenant_id, flow.user_id);
  if (user === undefined || user.email !== flow.email) return undefined;
  if (!user.email_verified) await usersRepo.update(trx, flow.tenant_id, user.id, { email_verified: true });
  return user.id;
};
