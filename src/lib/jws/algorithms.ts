import { constants, type KeyObject, type VerifyKeyObjectInput, verify } from 'node:crypto';
import type { DecodedJws } from './decode.js';
import { JwsError } from './errors.js';

/** `crypto.verify` on libuv's thread pool (its callback form), never on the event loop. */
const verifyOffLoop = (
  hash: string | null,
  data: Buffer,
  key: KeyObject | VerifyKeyObjectInput,
  signature: Buffer,
): Promise<boolean> =>
  new Promise((resolve) => {
    try {
      verify(hash, data, key, signature, (error, valid) => resolve(error === null && valid));
    } catch {
      // A signature the key cannot even take (wrong size, bad encoding) is a signature that does not verify.
      resolve(false);
    }
  });

/** One JWS algorithm: which JWKs can verify it, and how. */
export interface Algorithm {
  /** JWK `kty` of the keys it verifies with. */
  readonly kty: 'RSA' | 'EC' | 'OKP';
  /** `crv` for EC and OKP keys. */
  readonly crv?: readonly string[];
  /** Whether the key suits the algorithm (type, curve, size). */
  readonly suits: (key: KeyObject, signature: Buffer) => boolean;
  readonly check: (key: KeyObject, data: Buffer, signature: Buffer) => Promise<boolean>;
}

const minRsaBits = 2048;
const rsaBits = (key: KeyObject) => key.asymmetricKeyDetails?.modulusLength ?? 0;

const pkcs1 = (hash: string): Algorithm => ({
  kty: 'RSA',
  suits: (key) => key.asymmetricKeyType === 'rsa' && rsaBits(key) >= minRsaBits,
  check: (key, data, signature) => verifyOffLoop(hash, data, key, signature),
});

const pss = (hash: string, saltLength: number): Algorithm => ({
  kty: 'RSA',
  suits: (key) =>
    (key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'rsa-pss') && rsaBits(key) >= minRsaBits,
  check: (key, data, signature) =>
    verifyOffLoop(hash, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength }, signature),
});

const ecdsa = (hash: string, crv: string, namedCurve: string, size: number): Algorithm => ({
  kty: 'EC',
  crv: [crv],
  // JWS ECDSA signatures are R || S (RFC 7518 §3.4), not DER.
  suits: (key, signature) =>
    key.asymmetricKeyType === 'ec' &&
    key.asymmetricKeyDetails?.namedCurve === namedCurve &&
    signature.length === size * 2,
  check: (key, data, signature) => verifyOffLoop(hash, data, { key, dsaEncoding: 'ieee-p1363' }, signature),
});

const eddsa = (curves: readonly string[]): Algorithm => ({
  kty: 'OKP',
  crv: curves,
  suits: (key) => curves.map((c) => c.toLowerCase()).includes(key.asymmetricKeyType ?? ''),
  check: (key, data, signature) => verifyOffLoop(null, data, key, signature),
});

/** Every algorithm this verifier knows (RFC 7518 §3, RFC 8037, RFC 9864): asymmetric only, never `none` or HMAC. */
export const algorithms: Readonly<Record<string, Algorithm>> = {
  RS256: pkcs1('sha256'),
  RS384: pkcs1('sha384'),
  RS512: pkcs1('sha512'),
  PS256: pss('sha256', 32),
  PS384: pss('sha384', 48),
  PS512: pss('sha512', 64),
  ES256: ecdsa('sha256', 'P-256', 'prime256v1', 32),
  ES384: ecdsa('sha384', 'P-384', 'secp384r1', 48),
  ES512: ecdsa('sha512', 'P-521', 'secp521r1', 66),
  EdDSA: eddsa(['Ed25519', 'Ed448']),
  Ed25519: eddsa(['Ed25519']),
};

/** The algorithms `verifyJwsSignature` can check. */
export const supportedAlgorithms: ReadonlySet<string> = new Set(Object.keys(algorithms));

/**
 * Refuses a JWS whose `alg` is not in `allowed` or not one this verifier knows (before any key is looked for).
 * @throws JwsError `ERR_JOSE_ALG_NOT_ALLOWED`
 */
export const requireAllowedAlgorithm = (jws: DecodedJws, allowed: readonly string[]): Algorithm => {
  const alg = jws.header.alg as string;
  const algorithm = Object.hasOwn(algorithms, alg) ? algorithms[alg] : undefined;
  if (!allowed.includes(alg) || algorithm === undefined)
    throw new JwsError('ERR_JOSE_ALG_NOT_ALLOWED', `the token is signed with a disallowed algorithm (${alg})`);
  return algorithm;
};

/**
 * Checks a decoded JWS's signature with one key, under the header's `alg`, which must be in `allowed`. The signature
 * is computed on libuv's thread pool.
 * @returns whether it verifies (false also when the key does not suit the algorithm)
 * @throws JwsError `ERR_JOSE_ALG_NOT_ALLOWED` when `alg` is not allowed or not supported
 */
export const verifyJwsSignature = async (
  jws: DecodedJws,
  allowed: readonly string[],
  key: KeyObject,
): Promise<boolean> => {
  const algorithm = requireAllowedAlgorithm(jws, allowed);
  if (key.type !== 'public' || !algorithm.suits(key, jws.signature)) return false;
  return algorithm.check(key, jws.signingInput, jws.signature);
};
