/**
 * The closed set of JOSE failures, named and spelled as `jose` names them (`error.code`), so that a verdict here can be
 * compared with `jose.jwtVerify`'s on the same input (test/lib/jws-parity.test.ts).
 */
export type JwsErrorCode =
  /** Not a compact JWS with a JSON-object header, or a header this verifier refuses (`crit`, `b64`, no `alg`). */
  | 'ERR_JWS_INVALID'
  /** The payload is not a JSON object (a JWT Claims Set must be one). */
  | 'ERR_JWT_INVALID'
  /** The header's `alg` is not one the caller allows, or not one this verifier knows. */
  | 'ERR_JOSE_ALG_NOT_ALLOWED'
  /** No key of the set fits the header (`kid`, key type, curve, `use`, `key_ops`, `alg`). */
  | 'ERR_JWKS_NO_MATCHING_KEY'
  /** A fitting key was found and the signature does not verify with it. */
  | 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED';

/** A JWS that failed before its claims were read. */
export class JwsError extends Error {
  constructor(
    readonly code: JwsErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'JwsError';
  }
}

/** `jose`'s claim failure reasons: absent when required, of the wrong type, or present and refused. */
export type JwtClaimFailure = 'missing' | 'invalid' | 'check_failed';

export type JwtClaimErrorCode = 'ERR_JWT_EXPIRED' | 'ERR_JWT_CLAIM_VALIDATION_FAILED';

/** A JWT whose signature verified and one of whose claims (`claim`) is refused. */
export class JwtClaimError extends Error {
  constructor(
    readonly code: JwtClaimErrorCode,
    readonly claim: string,
    readonly reason: JwtClaimFailure,
    message: string,
  ) {
    super(message);
    this.name = 'JwtClaimError';
  }
}
