import { createHmac, createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  checkJwtClaims,
  decodeJws,
  JwsError,
  JwtClaimError,
  PublicKeySet,
  verifyJwsWithKeySet,
} from '../../src/lib/jws/index.js';

// Tokens are signed by jose, an independent implementation: what it signs must verify here, and nothing else.
type Pair = Awaited<ReturnType<typeof generateKeyPair>>;
const algs = ['RS256', 'PS256', 'ES256', 'ES384', 'EdDSA'] as const;
const pairs = new Map<string, Pair>();
const jwks = new Map<string, JWK>();

const sign = (alg: string, claims: Record<string, unknown> = { sub: 'u1' }, header: Record<string, unknown> = {}) =>
  new SignJWT(claims).setProtectedHeader({ alg, kid: `k-${alg}`, ...header }).sign((pairs.get(alg) as Pair).privateKey);

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const reasonOf = async (fn: () => unknown): Promise<string | undefined> => {
  try {
    await fn();
    return undefined;
  } catch (error) {
    if (error instanceof JwsError) return error.code as string;
    throw error;
  }
};

let set: PublicKeySet;
beforeAll(async () => {
  for (const alg of algs) {
    const pair = await generateKeyPair(alg, { extractable: true });
    pairs.set(alg, pair);
    jwks.set(alg, { ...(await exportJWK(pair.publicKey)), kid: `k-${alg}`, use: 'sig' });
  }
  set = new PublicKeySet({ keys: [...jwks.values()] });
});

describe('verifyJwsWithKeySet', () => {
  it.each(algs)('verifies a %s token signed by jose and returns its header and claims', async (alg) => {
    const token = await sign(alg, { sub: 'u1', n: 1 });
    const jws = await verifyJwsWithKeySet(token, [alg], set);
    expect(jws.header).toMatchObject({ alg, kid: `k-${alg}` });
    expect(jws.payload).toEqual({ sub: 'u1', n: 1 });
  });

  it('refuses a token whose payload was changed after signing', async () => {
    const [h, , s] = (await sign('ES256')).split('.');
    expect(await reasonOf(() => verifyJwsWithKeySet(`${h}.${b64({ sub: 'admin' })}.${s}`, ['ES256'], set))).toBe(
      'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
    );
  });

  it('refuses a signature made by another key with the same kid', async () => {
    const other = await generateKeyPair('ES256');
    const forged = await new SignJWT({ sub: 'u1' })
      .setProtectedHeader({ alg: 'ES256', kid: 'k-ES256' })
      .sign(other.privateKey);
    expect(await reasonOf(() => verifyJwsWithKeySet(forged, ['ES256'], set))).toBe(
      'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
    );
  });

  it('refuses alg none, whatever the allowed list says', async () => {
    const token = `${b64({ alg: 'none', kid: 'k-RS256' })}.${b64({ sub: 'u1' })}.`;
    expect(await reasonOf(() => verifyJwsWithKeySet(token, ['RS256', 'none'], set))).toBe('ERR_JOSE_ALG_NOT_ALLOWED');
    const withSignature = `${b64({ alg: 'none', kid: 'k-RS256' })}.${b64({ sub: 'u1' })}.AAAA`;
    expect(await reasonOf(() => verifyJwsWithKeySet(withSignature, ['RS256', 'none'], set))).toBe(
      'ERR_JOSE_ALG_NOT_ALLOWED',
    );
  });

  it('refuses an HMAC token keyed with the public key (algorithm confusion)', async () => {
    const input = `${b64({ alg: 'HS256', kid: 'k-RS256' })}.${b64({ sub: 'admin' })}`;
    const secret = JSON.stringify(jwks.get('RS256'));
    const mac = createHmac('sha256', secret).update(input).digest('base64url');
    expect(await reasonOf(() => verifyJwsWithKeySet(`${input}.${mac}`, ['RS256', 'HS256'], set))).toBe(
      'ERR_JOSE_ALG_NOT_ALLOWED',
    );
  });

  it('refuses an allowed-looking algorithm the caller did not allow', async () => {
    expect(await reasonOf(() => verifyJwsWithKeySet('x', ['RS256'], set))).toBe('ERR_JWS_INVALID');
    const token = await sign('PS256');
    expect(await reasonOf(() => verifyJwsWithKeySet(token, ['RS256'], set))).toBe('ERR_JOSE_ALG_NOT_ALLOWED');
  });

  it('finds no key when the key the header names is of another type', async () => {
    const token = await sign('RS256', { sub: 'u1' }, { kid: 'k-ES256' });
    expect(await reasonOf(() => verifyJwsWithKeySet(token, ['RS256'], set))).toBe('ERR_JWKS_NO_MATCHING_KEY');
  });

  it('answers no_key for an unknown kid, and picks among kid-less candidates', async () => {
    expect(
      await reasonOf(() =>
        verifyJwsWithKeySet(`${b64({ alg: 'ES256', kid: 'nope' })}.${b64({})}.AAAA`, ['ES256'], set),
      ),
    ).toBe('ERR_JWKS_NO_MATCHING_KEY');
    const noKid = await new SignJWT({ sub: 'u1' })
      .setProtectedHeader({ alg: 'ES256' })
      .sign((pairs.get('ES256') as Pair).privateKey);
    const other = await generateKeyPair('ES256', { extractable: true });
    const two = new PublicKeySet({ keys: [await exportJWK(other.publicKey), jwks.get('ES256')] });
    expect((await verifyJwsWithKeySet(noKid, ['ES256'], two)).payload).toEqual({ sub: 'u1' });
  });

  it('leaves out keys marked for encryption, private keys and keys it cannot import', async () => {
    const encryption = new PublicKeySet({ keys: [{ ...jwks.get('ES256'), use: 'enc' }] });
    expect(encryption.size).toBe(1);
    expect(await reasonOf(() => verifyJwsWithKeySet('', ['ES256'], encryption))).toBe('ERR_JWS_INVALID');
    const token = await sign('ES256');
    expect(await reasonOf(() => verifyJwsWithKeySet(token, ['ES256'], encryption))).toBe('ERR_JWKS_NO_MATCHING_KEY');
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const privateJwk = createPrivateKey(privateKey.export({ format: 'pem', type: 'pkcs8' })).export({ format: 'jwk' });
    const odd = new PublicKeySet({
      keys: [privateJwk, { kty: 'oct', k: 'c2VjcmV0' }, { kty: 'RSA', n: 'x' }, 'x', null],
    });
    expect(odd.size).toBe(0);
  });

  it('refuses a critical header and an unencoded payload', async () => {
    const crit = `${b64({ alg: 'ES256', kid: 'k-ES256', crit: ['exp'], exp: 1 })}.${b64({})}.AAAA`;
    expect(await reasonOf(() => verifyJwsWithKeySet(crit, ['ES256'], set))).toBe('ERR_JWS_INVALID');
    const token = `${b64({ alg: 'ES256', kid: 'k-ES256', b64: false })}.${b64({})}.AAAA`;
    expect(await reasonOf(() => verifyJwsWithKeySet(token, ['ES256'], set))).toBe('ERR_JWS_INVALID');
  });

  it.each([
    ['two parts', 'a.b', 'ERR_JWS_INVALID'],
    ['four parts', 'a.b.c.d', 'ERR_JWS_INVALID'],
    ['a header that is not JSON', `${Buffer.from('{').toString('base64url')}.${b64({})}.AAAA`, 'ERR_JWS_INVALID'],
    ['a payload that is an array', `${b64({ alg: 'ES256' })}.${b64([1])}.AAAA`, 'ERR_JWT_INVALID'],
    ['a header without alg', `${b64({ kid: 'k-ES256' })}.${b64({})}.AAAA`, 'ERR_JWS_INVALID'],
    ['characters outside base64url', `${b64({ alg: 'ES256' })}.${b64({})}.AA+A`, 'ERR_JWS_INVALID'],
  ])('refuses %s as malformed', async (_what, token, code) => {
    expect(await reasonOf(() => decodeJws(token))).toBe(code);
  });
});

describe('PublicKeySet memory of verified tokens', () => {
  it('remembers exactly the tokens it was told verified, byte for byte, and forgets the oldest beyond its bound', async () => {
    const keys = new PublicKeySet({ keys: [jwks.get('ES256')] });
    const token = await sign('ES256');
    expect(keys.hasVerified(token)).toBe(false);
    keys.rememberVerified(token);
    expect(keys.hasVerified(token)).toBe(true);
    const [h, , s] = token.split('.');
    expect(keys.hasVerified(`${h}.${b64({ sub: 'admin' })}.${s}`)).toBe(false);
    // Another set (a refetched JWKS) remembers nothing.
    expect(new PublicKeySet({ keys: [jwks.get('ES256')] }).hasVerified(token)).toBe(false);

    for (let i = 0; i < PublicKeySet.maxRemembered; i++) keys.rememberVerified(`token-${i}`);
    expect(keys.hasVerified(token)).toBe(false);
    expect(keys.hasVerified('token-0')).toBe(true);
  });
});

describe('checkJwtClaims', () => {
  const now = new Date('2026-01-01T00:00:00Z');
  const t = now.getTime() / 1000;
  const failure = (payload: Record<string, unknown>, required: string[] = []) => {
    try {
      checkJwtClaims(payload, { now, toleranceSeconds: 60, required });
      return undefined;
    } catch (error) {
      if (!(error instanceof JwtClaimError)) throw error;
      return `${error.claim}:${error.code === 'ERR_JWT_EXPIRED' ? 'expired' : error.reason}`;
    }
  };

  it('accepts times within the tolerance and refuses them beyond it', () => {
    expect(failure({ exp: t - 59, nbf: t + 59, iat: t })).toBeUndefined();
    expect(failure({ exp: t - 60 })).toBe('exp:expired');
    expect(failure({ nbf: t + 61 })).toBe('nbf:check_failed');
  });

  it('requires the claims asked for and checks the registered claims’ types', () => {
    expect(failure({ sub: 'u' }, ['sub', 'exp'])).toBe('exp:missing');
    expect(failure({ exp: '1' })).toBe('exp:invalid');
    expect(failure({ iat: Number.NaN })).toBe('iat:invalid');
    expect(failure({ iss: 1 })).toBe('iss:invalid');
    expect(failure({ aud: ['a', 2] })).toBe('aud:invalid');
    expect(failure({ aud: ['a', 'b'], sub: 's', jti: 'j' })).toBeUndefined();
  });
});
