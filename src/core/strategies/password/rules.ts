import { readFileSync } from 'node:fs';
import { GatehouseError } from '../../errors.js';

/**
 * The rules a new password must meet (NIST SP 800-63B §5.1.1.2): at least 8 characters, up to 128 allowed (well past
 * the 64 the guideline asks for; argon2 hashes any length in the same time), any characters, no composition rules,
 * and not one of the most common passwords. Lengths count Unicode code points, after NFC normalisation.
 */
export const passwordRules = { minLength: 8, maxLength: 128 } as const;

/** The 10 000 most common passwords of 8 characters or more (lower-case), from the zxcvbn-ts common list (MIT). */
const listFile = new URL('../../../../data/common-passwords.txt', import.meta.url);

let common: ReadonlySet<string> | undefined;
/** The bundled list, loaded once into a set. */
const commonPasswords = (): ReadonlySet<string> => {
  common ??= new Set(
    readFileSync(listFile, 'utf8')
      .split('\n')
      .filter((line) => line !== ''),
  );
  return common;
};

/** Why a new password is refused; each has its own message in the catalogues (`signup.password_*`). */
export type PasswordProblem = 'too_short' | 'too_long' | 'common';

/** What is wrong with `password` as a new password, or undefined when it is acceptable. */
export const passwordProblem = (password: string): PasswordProblem | undefined => {
  const length = [...password.normalize('NFC')].length;
  if (length < passwordRules.minLength) return 'too_short';
  if (length > passwordRules.maxLength) return 'too_long';
  if (commonPasswords().has(password.toLowerCase())) return 'common';
  return undefined;
};

const descriptions: Record<PasswordProblem, string> = {
  too_short: `password: must be at least ${passwordRules.minLength} characters`,
  too_long: `password: must be at most ${passwordRules.maxLength} characters`,
  common: 'password: is one of the most common passwords; choose another',
};

/**
 * @throws GatehouseError `invalid_request` (details: `{ problem }`) when `password` breaks a rule of
 *   {@link passwordProblem}.
 */
export const requireAcceptablePassword = (password: string): void => {
  const problem = passwordProblem(password);
  if (problem !== undefined)
    throw new GatehouseError('invalid_request', descriptions[problem], { details: { problem } });
};
