import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { type Algorithm, algorithms, requireAllowedAlgorithm, verifyJwsSignature } from './algorithms.js';
import { type DecodedJws, decodeJws } from './decode.js';
import { JwsError } from './errors.js';

/** A key of the set: its JWK as published (`kid`, `use`, Microsoft's `issuer`, …) and its imported form. */
export interface ImportedKey {
  readonly jwk: Readonly<Record<string, unknown>>;
  readonly key: KeyObject;
}

/**
 * A JSON Web Key Set imported once into `KeyObject`s. Keys that cannot be imported, private keys and symmetric keys
 * are left out.
 */
export class PublicKeySet {
  readonly #keys: readonly ImportedKey[];
  /** Tokens whose signature verified with this set, and the JWK that verified each, oldest first (bounded). */
  readonly #verified = new Map<string, Readonly<Record<string, unknown>>>();

  constructor(jwks: { readonly keys: readonly unknown[] }) {
    const keys: ImportedKey[] = [];
    for (const entry of jwks.keys) {
      if (typeof entry !== 'object' || entry === null) continue;
      const jwk = entry as Record<string, unknown>;
      if (jwk.kty !== 'RSA' && jwk.kty !== 'EC' && jwk.kty !== 'OKP') continue;
      if (jwk.d !== undefined) continue;
      try {
        keys.push({ jwk, key: createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' }) });
      } catch {
        // Not a key node:crypto can use: it can verify nothing.
      }
    }
    this.#keys = keys;
  }

  get size(): number {
    return this.#keys.length;
  }

  /**
   * Whether this exact token (every byte of it) was verified with this set before. A signature check is a pure
   * function of the token and the keys, and a set's keys never change, so a token presented again need not be checked
   * again while its set is in use; its claims (expiry first) still are, on every use.
   */
  hasVerified(token: string): boolean {
    return this.#verified.has(token);
  }

  /** The JWK that verified `token` before, when it did. */
  verifiedBy(token: string): Readonly<Record<string, unknown>> | undefined {
    return this.#verified.get(token);
  }

  /**
   * Remembers a token whose signature verified with this set, and the JWK that verified it (the oldest is forgotten
   * beyond `maxRemembered`).
   */
  rememberVerified(token: string, jwk: Readonly<Record<string, unknown>> = {}): void {
    if (this.#verified.size >= PublicKeySet.maxRemembered) {
      const oldest = this.#verified.keys().next();
      if (oldest.done !== true) this.#verified.delete(oldest.value);
    }
    this.#verified.set(token, jwk);
  }

  static readonly maxRemembered = 4096;

  /**
   * The keys that may have signed a JWS with this header (RFC 7517 §4): same `kid` when the header names one, a key
   * type (and curve) for its `alg`, `use` absent or `sig`, `key_ops` absent or with `verify`, `alg` absent or equal.
   */
  candidates(header: Readonly<Record<string, unknown>>): KeyObject[] {
    return this.matching(header).map(({ key }) => key);
  }

  /** `candidates`, with each key's JWK. */
  matching(header: Readonly<Record<string, unknown>>): ImportedKey[] {
    const alg = typeof header.alg === 'string' && Object.hasOwn(algorithms, header.alg) ? header.alg : undefined;
    if (alg === undefined) return [];
    const algorithm = algorithms[alg] as Algorithm;
    const kid = header.kid;
    return this.#keys.filter(({ jwk }) => {
      if (kid !== undefined && jwk.kid !== kid) return false;
      if (jwk.kty !== algorithm.kty) return false;
      if (algorithm.crv !== undefined && !algorithm.crv.includes(jwk.crv as string)) return false;
      if (jwk.use !== undefined && jwk.use !== 'sig') return false;
      if (Array.isArray(jwk.key_ops) && !jwk.key_ops.includes('verify')) return false;
      return jwk.alg === undefined || jwk.alg === alg;
    });
  }
}

/**
 * Checks a decoded JWS's signature against a key set: the header's `alg` must be allowed, and one of the keys fitting
 * the header must verify it. A token (`token`, its exact text) the set verified before is not verified again, and one
 * that verifies now is remembered (see `PublicKeySet.hasVerified`).
 * @returns the JWK that verified the signature
 * @throws JwsError `ERR_JOSE_ALG_NOT_ALLOWED`, `ERR_JWKS_NO_MATCHING_KEY`, `ERR_JWS_SIGNATURE_VERIFICATION_FAILED`
 */
export const checkJwsWithKeySet = async (
  token: string,
  jws: DecodedJws,
  allowed: readonly string[],
  keys: PublicKeySet,
): Promise<Readonly<Record<string, unknown>>> => {
  requireAllowedAlgorithm(jws, allowed);
  const known = keys.verifiedBy(token);
  if (known !== undefined) return known;
  const candidates = keys.matching(jws.header);
  if (candidates.length === 0) throw new JwsError('ERR_JWKS_NO_MATCHING_KEY', 'no key of the set fits the token');
  for (const { jwk, key } of candidates) {
    if (await verifyJwsSignature(jws, allowed, key)) {
      keys.rememberVerified(token, jwk);
      return jwk;
    }
  }
  throw new JwsError('ERR_JWS_SIGNATURE_VERIFICATION_FAILED', 'the token signature does not verify');
};

/**
 * Decodes a compact JWS and checks it against a key set (`checkJwsWithKeySet`).
 * @throws JwsError (every code)
 */
export const verifyJwsWithKeySet = async (
  token: string,
  allowed: readonly string[],
  keys: PublicKeySet,
): Promise<DecodedJws> => {
  const jws = decodeJws(token);
  await checkJwsWithKeySet(token, jws, allowed, keys);
  return jws;
};
