import { createCipheriv, createDecipheriv, createHmac, hash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A URL-safe random string of `bytes` bytes of entropy (default 32: 256 bits). */
export const randomToken = (bytes = 32): string => randomBytes(bytes).toString('base64url');

/** SHA-256 of a UTF-8 string, base64url. Used for high-entropy secrets (client secrets, codes, refresh tokens). */
export const sha256 = (value: string): string => hash('sha256', value, 'base64url');

/** Constant-time string equality; unequal lengths compare as unequal without leaking where they differ. */
export const constantTimeEqual = (a: string, b: string): boolean => {
  const ab = Buffer.from(a, 'utf8');
  const bb = Buffer.from(b, 'utf8');
  if (ab.length !== bb.length) {
    timingSafeEqual(ab, ab);
    return false;
  }
  return timingSafeEqual(ab, bb);
};

/** Compares a presented high-entropy secret with its stored SHA-256 digest, in constant time. */
export const verifySecretDigest = (presented: string, digest: string): boolean =>
  constantTimeEqual(sha256(presented), digest);

// OWASP's argon2id baseline: m=19 MiB, t=2, p=1. The async API runs off the event loop.
const argon2Options = { memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

/** The native argon2 binding, loaded on the first password: most processes (a CLI command) never need it. */
const argon2 = () => import('@node-rs/argon2');

/** argon2id hash of a user password (never of high-entropy secrets: those take `sha256`). */
export const hashPassword = async (password: string): Promise<string> => (await argon2()).hash(password, argon2Options);

/** Verifies a password against an argon2id hash; false on mismatch or a malformed hash. */
export const verifyPassword = async (hash: string, password: string): Promise<boolean> => {
  try {
    return await (await argon2()).verify(hash, password);
  } catch {
    return false;
  }
};

/**
 * Authenticated encryption of secrets at rest (IdP client secrets, signing keys, TOTP seeds) with AES-256-GCM.
 * Output: `v1.<iv>.<tag>.<ciphertext>`, base64url parts. The key is the 32-byte master key.
 */
export interface SecretBox {
  seal(plaintext: string): string;
  open(sealed: string): string;
  /**
   * A value that identifies the master key without revealing it: HMAC-SHA256 of a fixed label under the key,
   * base64url. Stored once per store, it tells a process whether it holds the key the store's secrets are sealed with.
   */
  keyCheck(): string;
}

const keyCheckLabel = 'gatehouse master key check v1';

export const createSecretBox = (masterKey: Buffer): SecretBox => {
  if (masterKey.length !== 32) throw new TypeError('the master key must be 32 bytes');
  return {
    seal(plaintext) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', masterKey, iv);
      const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ct.toString('base64url')].join(
        '.',
      );
    },
    open(sealed) {
      const [version, iv, tag, ct] = sealed.split('.');
      if (version !== 'v1' || iv === undefined || tag === undefined || ct === undefined) {
        throw new TypeError('not a sealed secret');
      }
      const decipher = createDecipheriv('aes-256-gcm', masterKey, Buffer.from(iv, 'base64url'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8');
    },
    keyCheck: () => createHmac('sha256', masterKey).update(keyCheckLabel).digest('base64url'),
  };
};

/** Parses a master key given as 64 hex chars or 43/44 base64(url) chars; undefined when it is neither. */
export const parseMasterKey = (value: string): Buffer | undefined => {
  const trimmed = value.trim();
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) return Buffer.from(trimmed, 'hex');
  const b = Buffer.from(trimmed, 'base64url');
  return b.length === 32 ? b : undefined;
};

/** PKCE S256 (RFC 7636 §4.2): BASE64URL(SHA256(ASCII(code_verifier))). */
export const pkceChallenge = (verifier: string): string => hash('sha256', verifier, 'base64url');
