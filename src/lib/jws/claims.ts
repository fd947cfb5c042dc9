import { JwtClaimError } from './errors.js';

export interface JwtClaimsOptions {
  readonly now: Date;
  readonly toleranceSeconds: number;
  /** Claims that must be present. */
  readonly required: readonly string[];
  /** When given, `iss` must be present and one of these. */
  readonly issuer?: string | readonly string[];
  /** When given, `aud` must be present and name one of these. */
  readonly audience?: string | readonly string[];
}

const list = (value: string | readonly string[]): readonly string[] => (typeof value === 'string' ? [value] : value);

const refuse = (claim: string, reason: 'missing' | 'invalid' | 'check_failed', message: string) =>
  new JwtClaimError('ERR_JWT_CLAIM_VALIDATION_FAILED', claim, reason, message);

const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

/**
 * The registered claims of a JWT payload (RFC 7519 §4.1), in `jose.jwtVerify`'s order: the required ones (and `iss`,
 * `aud` when expected) present, `iss` and `aud` as expected, `iat` a number, `nbf` in the past and `exp` in the
 * future (each within `toleranceSeconds`); then the types of `iss`, `sub`, `jti` and `aud` when present.
 * @throws JwtClaimError `ERR_JWT_EXPIRED` (`exp`), else `ERR_JWT_CLAIM_VALIDATION_FAILED` naming the claim
 */
export const checkJwtClaims = (payload: Readonly<Record<string, unknown>>, options: JwtClaimsOptions): void => {
  const required = new Set(options.required);
  if (options.issuer !== undefined) required.add('iss');
  if (options.audience !== undefined) required.add('aud');
  for (const name of required) {
    if (payload[name] === undefined) throw refuse(name, 'missing', `the token has no "${name}" claim`);
  }
  if (options.issuer !== undefined && !list(options.issuer).includes(payload.iss as string))
    throw refuse('iss', 'check_failed', 'unexpected "iss" claim value');
  const aud = payload.aud;
  if (aud !== undefined && typeof aud !== 'string' && !(Array.isArray(aud) && aud.every((a) => typeof a === 'string')))
    throw refuse('aud', 'invalid', `the token's "aud" claim is not a string or an array of strings`);
  if (options.audience !== undefined) {
    const expected = list(options.audience);
    const named: readonly unknown[] = typeof aud === 'string' ? [aud] : (aud ?? []);
    if (!named.some((value) => expected.includes(value as string)))
      throw refuse('aud', 'check_failed', 'unexpected "aud" claim value');
  }
  for (const name of ['iat', 'nbf', 'exp'] as const) {
    const value = payload[name];
    if (value !== undefined && !isNumber(value))
      throw refuse(name, 'invalid', `the token's "${name}" claim is not a number`);
  }
  const now = Math.floor(options.now.getTime() / 1000);
  if (isNumber(payload.nbf) && payload.nbf > now + options.toleranceSeconds)
    throw refuse('nbf', 'check_failed', 'the token is not valid yet');
  if (isNumber(payload.exp) && payload.exp <= now - options.toleranceSeconds)
    throw new JwtClaimError('ERR_JWT_EXPIRED', 'exp', 'check_failed', 'the token has expired');
  for (const name of ['iss', 'sub', 'jti'] as const) {
    const value = payload[name];
    if (value !== undefined && typeof value !== 'string')
      throw refuse(name, 'invalid', `the token's "${name}" claim is not a string`);
  }
};
