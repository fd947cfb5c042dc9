import { randomInt } from 'node:crypto';
import { sha256 } from '../../../lib/crypto.js';
import { factorsRepo } from '../../../store/repositories/mfa.js';
import type { CoreDeps } from '../../deps.js';
import type { Mechanism } from './mechanism.js';

const alphabet = 'abcdefghjkmnpqrstuvwxyz23456789';

/** A recovery code as shown to the user: `xxxxx-xxxxx` (about 49 bits). */
export const newRecoveryCode = (): string => {
  const chars = Array.from({ length: 10 }, () => alphabet[randomInt(alphabet.length)]).join('');
  return `${chars.slice(0, 5)}-${chars.slice(5)}`;
};

/** The digest a recovery code is stored and looked up by: spaces, dashes and case do not matter. */
export const recoveryCodeDigest = (code: string): string => sha256(code.replace(/[\s-]+/g, '').toLowerCase());

/** `RECOVERY`: one of the user's recovery codes, each usable once. */
export const createRecoveryCodeMechanism = (deps: CoreDeps): Mechanism => ({
  name: 'RECOVERY',
  answerType: 'text',
  amr: ['otp'],
  answer: async ({ tenant, userId }, answer) => {
    if (userId === undefined || answer.length > 64) return undefined;
    const used = await factorsRepo.useCode(deps.db, tenant.id, userId, recoveryCodeDigest(answer), deps.clock.now());
    return used === undefined ? undefined : userId;
  },
});
