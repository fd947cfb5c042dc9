import type { Transaction } from 'kysely';
import { revokeTokenFamiliesOfUser } from '../../../store/combined/revoke-token-families.js';
import { selfServiceFlowsRepo } from '../../../store/repositories/self-service-flows.js';
import { sessionsRepo } from '../../../store/repositories/sessions.js';
import { usersRepo } from '../../../store/repositories/users.js';
import type { Database, SelfServiceFlowRow } from '../../../store/schema.js';
import type { AssuranceLevel } from '../assurance.js';
import type { StrategyName } from '../strategy.js';

/**
 * The `recovery` kind: a person who lost their password proves they receive mail at the account's address and sets a
 * new one.
 * - Level 1: `email_code`, a code or a link mailed to the address (single use, short-lived, bounded wrong answers).
 * - Completing it: the new password (already checked against the password rules and hashed) replaces the old one, the
 *   address counts as verified (the mail reached it), and everything the account held ends: every browser session and
 *   every refresh-token family (their access tokens revoked). One transaction.
 */
export const recoveryKind = {
  kind: 'recovery',
  accepts: {
    1: ['email_code'],
    2: [],
  },
} as const satisfies { kind: string; accepts: Record<AssuranceLevel, readonly StrategyName[]> };

/** What completing a recovery ended. */
export interface CompletedRecovery {
  readonly userId: string;
  readonly sessionsEnded: number;
  readonly familiesRevoked: number;
}

/**
 * Completes an answered recovery flow in `trx` (see {@link recoveryKind}).
 * @returns what it ended, or undefined when the flow was spent meanwhile, names no account, or the account's address
 *   is no longer the one the code was mailed to (nothing is written then).
 */
export const completeRecovery = async (
  trx: Transaction<Database>,
  flow: SelfServiceFlowRow,
  passwordHash: string,
  now: Date,
): Promise<CompletedRecovery | undefined> => {
  if (flow.user_id === null) return undefined;
  const user = await usersRepo.find(trx, flow.tenant_id, flow.user_id);
  if (user === undefined || user.email !== flow.email) return undefined;
  const spent = await selfServiceFlowsRepo.complete(trx, flow.id, now);
  if (spent === undefined) return undefined;
  await usersRepo.update(trx, flow.tenant_id, user.id, { password_hash: passwordHash, email_verified: true });
  const families = await revokeTokenFamiliesOfUser(trx, user.id, undefined, now);
  const sessionsEnded = await sessionsRepo.deleteOfUser(trx, user.id);
  return { userId: user.id, sessionsEnded, familiesRevoked: families.length };
};
