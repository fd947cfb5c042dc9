import type { Transaction } from 'kysely';
import { revokedAccessTokensRepo } from '../repositories/revoked-access-tokens.js';
import { tokenFamiliesRepo } from '../repositories/token-families.js';
import type { Database } from '../schema.js';

/*
 * A revocation is two statements, for one transaction: the first marks the family revoked once no rotation holds it
 * (writers of a family take its row `for share`); the second, with a snapshot taken after that wait, reads the access
 * tokens of every rotation that committed meanwhile and puts them on the revocation list. In a single statement they
 * would be read as they were before the wait, and an access token issued by a racing rotation would stay valid until
 * it expired.
 */

/**
 * Revokes a family and puts every still-valid access token issued in it on the revocation list.
 * @returns whether this call revoked it (false: unknown or already revoked).
 */
export const revokeTokenFamily = async (trx: Transaction<Database>, familyId: string, now: Date): Promise<boolean> => {
  if (!(await tokenFamiliesRepo.markRevoked(trx, familyId, now))) return false;
  await revokedAccessTokensRepo.insertIssuedInFamily(trx, familyId, now);
  return true;
};

/**
 * Revokes every live family of a user, or only those obtained through one identity, as {@link revokeTokenFamily} does
 * one. For the transaction that unlinks the identity or disables the user.
 * @returns the ids of the families this call revoked.
 */
export const revokeTokenFamiliesOfUser = async (
  trx: Transaction<Database>,
  userId: string,
  identityId: string | undefined,
  now: Date,
): Promise<string[]> => {
  const ids = await tokenFamiliesRepo.markRevokedOfUser(trx, userId, identityId, now);
  if (ids.length === 0) return ids;
  await revokedAccessTokensRepo.insertIssuedInFamilies(trx, ids, now);
  return ids;
};

/**
 * Revokes every live family started in the given browser sessions (their `sid`), as {@link revokeTokenFamily} does
 * one. For the transaction that ends those sessions.
 * @returns the ids of the families this call revoked.
 */
export const revokeTokenFamiliesOfSessions = async (
  trx: Transaction<Database>,
  userId: string,
  sids: readonly string[],
  now: Date,
): Promise<string[]> => {
  const ids = await tokenFamiliesRepo.markRevokedOfSessions(trx, userId, sids, now);
  if (ids.length === 0) return ids;
  await revokedAccessTokensRepo.insertIssuedInFamilies(trx, ids, now);
  return ids;
};
