import { Secret, TOTP } from 'otpauth';
import type { CoreDeps } from '../../deps.js';

/** RFC 6238 parameters every authenticator app understands. */
export const totpParameters = { algorithm: 'SHA1', digits: 6, period: 30 } as const;

/** Codes one step either side of now are accepted (clock drift). */
const window = 1;

/**
 * Checks a TOTP code against a sealed seed at `now`.
 * @returns the time step the code belongs to, or undefined when it matches none in the window.
 */
export const totpStep = (deps: Pick<CoreDeps, 'secretBox'>, sealedSecret: string, code: string, now: Date) => {
  const token = code.replace(/\s+/g, '');
  if (!/^\d{6}$/.test(token)) return undefined;
  const secret = Secret.fromBase32(deps.secretBox.open(sealedSecret));
  const timestamp = now.getTime();
  const delta = TOTP.validate({ token, secret, ...totpParameters, timestamp, window });
  if (delta === null) return undefined;
  return TOTP.counter({ period: totpParameters.period, timestamp }) + delta;
};
