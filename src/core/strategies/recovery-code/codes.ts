import { randomInt } from 'node:crypto';
import { sha256 } from '../../../lib/crypto.js';
import { newId } from '../../../lib/ids.js';
import type { DbExecutor } from '../../../store/database.js';
import { factorsRepo } from '../../../store/repositories/mfa-factors.js';

const alphabet = 'abcdefghjkmnpqrstuvwxyz23456789';

/** How many recovery codes a user gets; each works once. */
export const recoveryCodeCount = 10;

/** A recovery code as shown to the user: `xxxxx-xxxxx` (about 49 bits). */
export const newRecoveryCode = (): string => {
  const chars = Array.from({ length: 10 }, () => alphabet[randomInt(alphabet.length)]).join('');
  return `${chars.slice(0, 5)}-${chars.slice(5)}`;
};

/** The digest a recovery code is stored and looked up by: spaces, dashes and case do not matter. */
export const recoveryCodeDigest = (code: string): string => sha256(code.replace(/[\s-]+/g, '').toLowerCase());

/**
 * The enrolment half of `recovery_code`: replaces the user's codes with {@link recoveryCodeCount} new ones, stored as
 * digests, inside the caller's transaction.
 * @returns the codes, the only time they are seen.
 */
export const writeRecoveryCodes = async (db: DbExecutor, tenantId: string, userId: string): Promise<string[]> => {
  const codes = Array.from({ length: recoveryCodeCount }, newRecoveryCode);
  await factorsRepo.deleteKind(db, tenantId, userId, 'recovery_code');
  await factorsRepo.insert(
    db,
    codes.map((code) => ({
      id: newId(),
      tenant_id: tenantId,
      user_id: userId,
      kind: 'recovery_code' as const,
      code_digest: recoveryCodeDigest(code),
    })),
  );
  return codes;
};
