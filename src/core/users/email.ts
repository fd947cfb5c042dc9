/**
 * The one rule for comparing emails: trim, Unicode NFC (RFC 6532 §3.1), then lower-case the whole address. Two
 * addresses that normalise to the same string are the same account's. (The local part is technically case-sensitive,
 * but no mainstream provider treats it so, and treating `A@x` and `a@x` as two accounts is a takeover risk.)
 * Compatibility folding (NFKC) is not applied: it would make distinct mailboxes one — fullwidth `ａｄａ@x`, ligatures,
 * circled or superscript letters would all become `ada@x` — and so link an identity to another person's account.
 */
export const normaliseEmail = (email: string): string => email.trim().normalize('NFC').toLowerCase();

const shape = /^[^\s@]{1,64}@[^\s@]{1,255}$/u;

/** True when the normalised address has the shape of an email (one @, no spaces, sane lengths). */
export const isEmailShaped = (email: string): boolean => shape.test(email) && email.length <= 320;
