import { randomBytes } from 'node:crypto';
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';
import type { ProviderKind } from './users.js';

interface SigningKey {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
}

/** Every emulated IdP signs its ID tokens with RS256, as the real ones do. */
const alg = 'RS256';

const newKey = async (provider: ProviderKind): Promise<SigningKey> => {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const kid = `${provider}-${randomBytes(6).toString('hex')}`;
  return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
};

/**
 * Per-provider signing keys, generated per process on first use. A rotation makes a new current key and keeps the
 * previous one published, as real IdPs do during a rollover.
 */
export class KeyRing {
  readonly #keys = new Map<ProviderKind, Promise<SigningKey[]>>();

  #ring(provider: ProviderKind): Promise<SigningKey[]> {
    let ring = this.#keys.get(provider);
    if (ring === undefined) {
      ring = newKey(provider).then((key) => [key]);
      this.#keys.set(provider, ring);
    }
    return ring;
  }

  /** The JWKS document: the current key, then the previous one. */
  async jwks(provider: ProviderKind): Promise<{ keys: JWK[] }> {
    return { keys: (await this.#ring(provider)).map((key) => key.publicJwk) };
  }

  async rotate(provider: ProviderKind): Promise<void> {
    const previous = (await this.#ring(provider))[0];
    const next = await newKey(provider);
    this.#keys.set(provider, Promise.resolve(previous === undefined ? [next] : [next, previous]));
  }

  /**
   * Signs `claims` with the current key. With `badSignature` the header still names the current `kid`, but the
   * signature comes from a throwaway key, so only signature verification can catch it.
   */
  async sign(provider: ProviderKind, claims: JWTPayload, badSignature = false): Promise<string> {
    const [current] = await this.#ring(provider);
    if (current === undefined) throw new Error('no signing key');
    const key = badSignature ? (await generateKeyPair(alg)).privateKey : current.privateKey;
    return new SignJWT(claims).setProtectedHeader({ alg, kid: current.kid, typ: 'JWT' }).sign(key);
  }
}
