import { checkJwtClaims, type JwtClaimsOptions } from './claims.js';
import type { DecodedJws } from './decode.js';
import { type PublicKeySet, verifyJwsWithKeySet } from './key-set.js';

export interface JwtVerifyOptions extends Omit<JwtClaimsOptions, 'required'> {
  /** Algorithms the token may be signed with (asymmetric only; others never verify). */
  readonly algorithms: readonly string[];
  readonly required?: readonly string[];
}

/**
 * A compact JWT verified the way `jose.jwtVerify` does it with a local key set: decoded, signed by a key of `keys`
 * under an allowed algorithm, then its registered claims checked.
 * @throws JwsError, JwtClaimError (their `code` is `jose`'s for the same failure)
 */
export const verifyJwt = async (token: string, keys: PublicKeySet, options: JwtVerifyOptions): Promise<DecodedJws> => {
  const jws = await verifyJwsWithKeySet(token, options.algorithms, keys);
  checkJwtClaims(jws.payload, { ...options, required: options.required ?? [] });
  return jws;
};
