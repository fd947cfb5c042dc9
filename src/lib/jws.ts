import {
  constants,
  createPublicKey,
  type JsonWebKey,
  type KeyObject,
  type VerifyKeyObjectInput,
  verify,
} from 'node:crypto';

/**
 * Verification of compact JWS / JWT (RFC 7515, RFC 7519) with `node:crypto` on `KeyObject`s imported once per key.
 * Signing already uses `node:crypto`; verifying with it too keeps WebCrypto (a key import and a thread-pool job per
 * call) off the hot paths: an upstream ID token on every social login, our own access token on every API call.
 * Only asymmetric algorithms exist here: `none` and HMAC can never verify.
 */

export type JwsFailure =
  /** Not a compact JWS with JSON header and JSON-object payload, or a header this verifier does not understand. */
  | 'malformed'
  /** The header's `alg` is not one the caller allows. */
  | 'algorithm'
  /** No key of the set fits the header (`kid`, key type, curve, `use`, `alg`). */
  | 'no_key'
  /** A fitting key was found and the signature does not verify with it. */
  | 'signature';

export class JwsError extends Error {
  constructor(
    readonly reason: JwsFailure,
    message: string,
  ) {
    super(message);
    this.name = 'JwsError';
  }
}

/** A compact JWS, split and decoded, signature not yet checked. */
export interface DecodedJws {
  readonly header: Readonly<Record<string, unknown>>;
  readonly payload: Readonly<Record<string, unknown>>;
  /** `BASE64URL(header) . BASE64URL(payload)`: the bytes the signature covers. */
  readonly signingInput: Buffer;
  readonly signature: Buffer;
}

const base64url = /^[A-Za-z0-9_-]+$/;

const jsonObject = (part: string, what: string): Record<string, unknown> => {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    throw new JwsError('malformed', `the ${what} is not base64url-encoded JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new JwsError('malformed', `the ${what} is not a JSON object`);
  return value as Record<string, unknown>;
};

/**
 * Splits and decodes a compact JWS. Refuses a `crit` header (RFC 7515 §4.1.11: no extension is understood here) and
 * an unencoded payload (`b64: false`, RFC 7797).
 * @throws JwsError `malformed`
 */
export const decodeJws = (token: string): DecodedJws => {
  if (typeof token !== 'string') throw new JwsError('malformed', 'the token is not a string');
  const parts = token.split('.');
  if (parts.length !== 3) throw new JwsError('malformed', 'the token is not a compact JWS');
  const [h, p, s] = parts as [string, string, string];
  if (!base64url.test(h) || !base64url.test(p) || !base64url.test(s))
    throw new JwsError('malformed', 'the token is not a compact JWS');
  const header = jsonObject(h, 'header');
  if (header.crit !== undefined) throw new JwsError('malformed', 'the token has critical header parameters');
  if (header.b64 !== undefined) throw new JwsError('malformed', 'the token has an unencoded payload');
  if (typeof header.alg !== 'string') throw new JwsError('malformed', 'the token header has no alg');
  return {
    header,
    payload: jsonObject(p, 'payload'),
    signingInput: Buffer.from(`${h}.${p}`, 'ascii'),
    signature: Buffer.from(s, 'base64url'),
  };
};

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

interface Algorithm {
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

/** Every algorithm this verifier knows (RFC 7518 §3, RFC 8037, RFC 9864): asymmetric only. */
const algorithms: Readonly<Record<string, Algorithm>> = {
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
 * @throws JwsError `algorithm`
 */
export const requireAllowedAlgorithm = (jws: DecodedJws, allowed: readonly string[]): void => {
  const alg = jws.header.alg as string;
  if (!allowed.includes(alg) || !supportedAlgorithms.has(alg))
    throw new JwsError('algorithm', `the token is signed with a disallowed algorithm (${alg})`);
};

/**
 * Checks a decoded JWS's signature with one key, under the header's `alg`, which must be in `allowed`. The signature
 * is computed on libuv's thread pool.
 * @returns whether it verifies (false also when the key does not suit the algorithm)
 * @throws JwsError `algorithm` when `alg` is not allowed or not supported
 */
export const verifyJwsSignature = async (
  jws: DecodedJws,
  allowed: readonly string[],
  key: KeyObject,
): Promise<boolean> => {
  requireAllowedAlgorithm(jws, allowed);
  const algorithm = algorithms[jws.header.alg as string] as Algorithm;
  if (key.type !== 'public' || !algorithm.suits(key, jws.signature)) return false;
  return algorithm.check(key, jws.signingInput, jws.signature);
};

/** Whether one of `keys` verifies the JWS (tried in turn). */
const verifiedByAny = async (
  jws: DecodedJws,
  allowed: readonly string[],
  keys: readonly KeyObject[],
): Promise<boolean> => {
  for (const key of keys) if (await verifyJwsSignature(jws, allowed, key)) return true;
  return false;
};

interface ImportedKey {
  readonly jwk: Readonly<Record<string, unknown>>;
  readonly key: KeyObject;
}

/**
 * A JSON Web Key Set imported once into `KeyObject`s. Keys that cannot be imported, private keys and symmetric keys
 * are left out.
 */
export class PublicKeySet {
  readonly #keys: readonly ImportedKey[];
  /** Tokens whose signature verified with this set, oldest first (bounded). */
  readonly #verified = new Set<string>();

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

  /** Remembers a token whose signature verified with this set (the oldest is forgotten beyond `maxRemembered`). */
  rememberVerified(token: string): void {
    if (this.#verified.size >= PublicKeySet.maxRemembered) {
      const oldest = this.#verified.values().next();
      if (oldest.done !== true) this.#verified.delete(oldest.value);
    }
    this.#verified.add(token);
  }

  static readonly maxRemembered = 4096;

  /**
   * The keys that may have signed a JWS with this header (RFC 7517 §4): same `kid` when the header names one, a key
   * type (and curve) for its `alg`, `use` absent or `sig`, `key_ops` absent or with `verify`, `alg` absent or equal.
   */
  candidates(header: Readonly<Record<string, unknown>>): KeyObject[] {
    const alg = typeof header.alg === 'string' && Object.hasOwn(algorithms, header.alg) ? header.alg : undefined;
    if (alg === undefined) return [];
    const algorithm = algorithms[alg] as Algorithm;
    const kid = header.kid;
    return this.#keys
      .filter(({ jwk }) => {
        if (kid !== undefined && jwk.kid !== kid) return false;
        if (jwk.kty !== algorithm.kty) return false;
        if (algorithm.crv !== undefined && !algorithm.crv.includes(jwk.crv as string)) return false;
        if (jwk.use !== undefined && jwk.use !== 'sig') return false;
        if (Array.isArray(jwk.key_ops) && !jwk.key_ops.includes('verify')) return false;
        return jwk.alg === undefined || jwk.alg === alg;
      })
      .map(({ key }) => key);
  }
}

/**
 * Checks a decoded JWS's signature against a key set: the header's `alg` must be allowed, and one of the keys fitting
 * the header must verify it. A token (`token`, its exact text) the set verified before is not verified again, and one
 * that verifies now is remembered (see `PublicKeySet.hasVerified`).
 * @throws JwsError `algorithm`, `no_key`, `signature`
 */
export const checkJwsWithKeySet = async (
  token: string,
  jws: DecodedJws,
  allowed: readonly string[],
  keys: PublicKeySet,
): Promise<void> => {
  requireAllowedAlgorithm(jws, allowed);
  if (keys.hasVerified(token)) return;
  const candidates = keys.candidates(jws.header);
  if (candidates.length === 0) throw new JwsError('no_key', 'no key of the set fits the token');
  if (!(await verifiedByAny(jws, allowed, candidates)))
    throw new JwsError('signature', 'the token signature does not verify');
  keys.rememberVerified(token);
};

/**
 * Decodes a compact JWS and checks it against a key set (`checkJwsWithKeySet`).
 * @throws JwsError `malformed`, `algorithm`, `no_key`, `signature`
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

export type JwtClaimFailure = 'expired' | 'invalid';

export class JwtClaimError extends Error {
  constructor(
    readonly claim: string,
    readonly reason: JwtClaimFailure,
    message: string,
  ) {
    super(message);
    this.name = 'JwtClaimError';
  }
}

const numericClaims = ['exp', 'iat', 'nbf'] as const;
const stringClaims = ['iss', 'sub', 'jti'] as const;

/**
 * The registered claims of a JWT payload (RFC 7519 §4.1): types of `iss`, `sub`, `jti`, `aud`, `exp`, `iat`, `nbf`
 * when present, the `required` ones present, `exp` in the future and `nbf` in the past, each within `toleranceSeconds`.
 * @throws JwtClaimError (`expired` for `exp`, else `invalid`)
 */
export const checkJwtClaims = (
  payload: Readonly<Record<string, unknown>>,
  options: { readonly now: Date; readonly toleranceSeconds: number; readonly required: readonly string[] },
): void => {
  for (const name of options.required) {
    if (payload[name] === undefined) throw new JwtClaimError(name, 'invalid', `the token has no "${name}" claim`);
  }
  for (const name of numericClaims) {
    const value = payload[name];
    if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value)))
      throw new JwtClaimError(name, 'invalid', `the token's "${name}" claim is not a number`);
  }
  for (const name of stringClaims) {
    const value = payload[name];
    if (value !== undefined && typeof value !== 'string')
      throw new JwtClaimError(name, 'invalid', `the token's "${name}" claim is not a string`);
  }
  const { aud } = payload;
  if (aud !== undefined && typeof aud !== 'string' && !(Array.isArray(aud) && aud.every((a) => typeof a === 'string')))
    throw new JwtClaimError('aud', 'invalid', `the token's "aud" claim is not a string or an array of strings`);
  const now = Math.floor(options.now.getTime() / 1000);
  if (typeof payload.exp === 'number' && payload.exp <= now - options.toleranceSeconds)
    throw new JwtClaimError('exp', 'expired', 'the token has expired');
  if (typeof payload.nbf === 'number' && payload.nbf > now + options.toleranceSeconds)
    throw new JwtClaimError('nbf', 'invalid', 'the token is not valid yet');
};
