import {
  constants,
  generateKeyPair,
  type KeyObject,
  type SignKeyObjectInput,
  type SignPrivateKeyInput,
  sign,
} from 'node:crypto';
import { promisify } from 'node:util';

const generateKeyPairAsync = promisify(generateKeyPair);

/**
 * The JWS algorithms a tenant signs with (RFC 7518 §3). Every tenant holds one key of each, created and rotated
 * together. RS256 is the one every relying party accepts (OIDC Discovery §3 makes it mandatory for ID tokens, and some
 * libraries accept nothing else by default); ES256 is smaller and cheaper to sign.
 */
export const signingAlgorithms = ['RS256', 'ES256'] as const;
export type SigningAlgorithm = (typeof signingAlgorithms)[number];

/** Access tokens (RFC 9068) are read by Gatehouse itself and by resource servers: ES256, for its cost. */
export const accessTokenAlgorithm: SigningAlgorithm = 'ES256';
/** ID tokens unless the client registered `idTokenSignedResponseAlg`: the algorithm every relying party accepts. */
export const defaultIdTokenAlgorithm: SigningAlgorithm = 'RS256';

interface AlgorithmSpec {
  readonly generate: () => Promise<{ publicKey: KeyObject; privateKey: KeyObject }>;
  /** What `crypto.sign` takes for this algorithm: the JWS encoding of the signature, not OpenSSL's default. */
  readonly signWith: (privateKey: KeyObject) => SignKeyObjectInput | SignPrivateKeyInput;
}

const specs: Readonly<Record<SigningAlgorithm, AlgorithmSpec>> = {
  // RFC 7518 §3.3: RSASSA-PKCS1-v1_5 with SHA-256; §3.3 asks for 2048 bits or more.
  RS256: {
    generate: () => generateKeyPairAsync('rsa', { modulusLength: 2048 }),
    signWith: (key) => ({ key, padding: constants.RSA_PKCS1_PADDING }),
  },
  // RFC 7518 §3.4: ECDSA P-256 with SHA-256, the signature as R || S.
  ES256: {
    generate: () => generateKeyPairAsync('ec', { namedCurve: 'P-256' }),
    signWith: (key) => ({ key, dsaEncoding: 'ieee-p1363' }),
  },
};

/** A new key pair for `alg` (generated on libuv's thread pool). */
export const generateSigningKeyPair = (alg: SigningAlgorithm) => specs[alg].generate();

/** The signing input of a private key of `alg`, built once per loaded key. */
export const signingInput = (alg: SigningAlgorithm, privateKey: KeyObject) => specs[alg].signWith(privateKey);

/**
 * Signs `input` with SHA-256 (both algorithms hash with it) on libuv's thread pool rather than on the event loop:
 * an RSA signature costs about a millisecond of CPU, which would stall every other request.
 */
export const signOffLoop = (input: Buffer, key: SignKeyObjectInput | SignPrivateKeyInput): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    sign('sha256', input, key, (error, signature) => (error === null ? resolve(signature) : reject(error)));
  });
