/**
 * Verification of compact JWS / JWT (RFC 7515, RFC 7519) with `node:crypto` on `KeyObject`s imported once per key,
 * cut along `jose`'s seams: decode, algorithms, key set, claims, verify. Signing already uses `node:crypto`; verifying
 * with it too keeps WebCrypto (a key import and a thread-pool job per call) off the hot paths: an upstream ID token on
 * every social login, our own access token on every API call. Only asymmetric algorithms exist here: `none` and HMAC
 * can never verify.
 */
export { requireAllowedAlgorithm, supportedAlgorithms, verifyJwsSignature } from './algorithms.js';
export { checkJwtClaims, type JwtClaimsOptions } from './claims.js';
export { type DecodedJws, decodeJws } from './decode.js';
export { JwsError, type JwsErrorCode, JwtClaimError, type JwtClaimErrorCode, type JwtClaimFailure } from './errors.js';
export { checkJwsWithKeySet, type ImportedKey, PublicKeySet, verifyJwsWithKeySet } from './key-set.js';
export { type JwtVerifyOptions, verifyJwt } from './verify.js';
