/**
 * The one rule for comparing emails: trim, Unicode NFKC, then lower-case the whole address. Two addresses that
 * normalise to the same string are the same account's. (The local part is technically case-sensitive, but no
 * mainstream provider treats it so, and treating `A@x` and `a@x` as two accounts is a takeover risk.)
 */
export const normaliseEmail = (email: string): string => email.trim().normalize('NFKC').toLowerCase();

const shape = /^[^\s@]{1,64}@[^\s@]{1,255}$/u;

/** True when the normalised address has the shape of an email (one @, no spaces, sane lengths). */
export const isEmailShaped = (email: string): boolean => shape.test(email) && email.length <= 320;
