import { createHmac, KeyObject, sign as nodeSign } from 'node:crypto';
import * as jose from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { JwsError, JwtClaimError, PublicKeySet, verifyJwt } from '../../src/lib/jws/index.js';

/**
 * Our verifier and `jose.jwtVerify` (an independent implementation) judge the same inputs: accept or refuse, and when
 * they refuse, the same class of failure. Each input has one fault, so that the order of checks cannot decide.
 */

type Pair = Awaited<ReturnType<typeof jose.generateKeyPair>>;
const now = new Date('2026-01-01T00:00:00Z');
const t = Math.floor(now.getTime() / 1000);
const issuer = 'https://idp.example';
const audience = 'client-1';
const algorithms = ['RS256', 'PS256', 'ES256', 'ES384', 'EdDSA'];
const tolerance = 30;

const keys = new Map<string, Pair>();
let jwks: { keys: jose.JWK[] };
let ours: PublicKeySet;
let theirs: ReturnType<typeof jose.createLocalJWKSet>;

const good = { iss: issuer, aud: audience, sub: 'u1', iat: t - 10, exp: t + 600 };
const b64 = (value: unknown) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

const sign = (alg: string, claims: Record<string, unknown> = good, header: Record<string, unknown> = {}) =>
  new jose.SignJWT(claims)
    .setProtectedHeader({ alg, kid: `k-${alg}`, ...header })
    .sign((keys.get(alg) as Pair).privateKey);

/** A token with the header and payload bytes as given, signed by `alg`'s key. */
const rawSigned = (alg: string, header: jose.CompactJWSHeaderParameters, payload: string) =>
  new jose.CompactSign(new TextEncoder().encode(payload))
    .setProtectedHeader(header)
    .sign((keys.get(alg) as Pair).privateKey);

/**
 * A token jose will not sign (an unknown critical header, an unencoded payload): the signing input written by hand
 * (`payloadPart` as it appears in the token) and signed with the ES256 key.
 */
const handSigned = (header: Record<string, unknown>, payloadPart: string) => {
  const input = `${b64(header)}.${payloadPart}`;
  const key = KeyObject.from((keys.get('ES256') as Pair).privateKey as CryptoKey);
  const signature = nodeSign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
  return `${input}.${signature.toString('base64url')}`;
};

/** A verdict: `accept`, or the class of the refusal. */
const classOf = (code: string, claim?: string): string => {
  switch (code) {
    case 'ERR_JWS_INVALID':
    case 'ERR_JWT_INVALID':
    case 'ERR_JOSE_NOT_SUPPORTED':
      return 'malformed';
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return 'algorithm';
    case 'ERR_JWKS_NO_MATCHING_KEY':
      return 'no_key';
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'signature';
    case 'ERR_JWT_EXPIRED':
      return 'expired';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      return `claim:${claim}`;
    default:
      return `unknown:${code}`;
  }
};

const ourVerdict = async (token: string): Promise<string> => {
  try {
    await verifyJwt(token, ours, { algorithms, issuer, audience, now, toleranceSeconds: tolerance });
    return 'accept';
  } catch (error) {
    if (error instanceof JwtClaimError) return classOf(error.code, error.claim);
    if (error instanceof JwsError) return classOf(error.code);
    throw error;
  }
};

const joseVerdict = async (token: string): Promise<string> => {
  try {
    await jose.jwtVerify(token, theirs, { algorithms, issuer, audience, currentDate: now, clockTolerance: tolerance });
    return 'accept';
  } catch (error) {
    const { code, claim } = error as { code?: string; claim?: string };
    if (code === undefined) throw error;
    return classOf(code, claim);
  }
};

beforeAll(async () => {
  for (const alg of algorithms) keys.set(alg, await jose.generateKeyPair(alg, { extractable: true }));
  jwks = {
    keys: await Promise.all(
      algorithms.map(async (alg) => ({
        ...(await jose.exportJWK((keys.get(alg) as Pair).publicKey)),
        kid: `k-${alg}`,
        alg,
        use: 'sig',
      })),
    ),
  };
  ours = new PublicKeySet(jwks);
  theirs = jose.createLocalJWKSet(jwks);
});

/** Each case: a name, how to build the token, and the verdict both must reach. */
const cases: [string, () => Promise<string>, string][] = [
  ...algorithms.map((alg): [string, () => Promise<string>, string] => [
    `a good ${alg} token`,
    () => sign(alg),
    'accept',
  ]),
  ['a token at the edge of the clock tolerance', () => sign('ES256', { ...good, exp: t - tolerance + 1 }), 'accept'],
  ['an expired token', () => sign('ES256', { ...good, exp: t - 3600 }), 'expired'],
  ['a token expired just past the tolerance', () => sign('ES256', { ...good, exp: t - tolerance }), 'expired'],
  ['a token not valid before a future nbf', () => sign('ES256', { ...good, nbf: t + 3600 }), 'claim:nbf'],
  ['a token whose nbf is within the tolerance', () => sign('ES256', { ...good, nbf: t + tolerance }), 'accept'],
  ['a token of another issuer', () => sign('ES256', { ...good, iss: 'https://evil.example' }), 'claim:iss'],
  ['a token without an issuer', () => sign('ES256', { aud: audience, sub: 'u1', exp: t + 60 }), 'claim:iss'],
  ['a token for another audience', () => sign('ES256', { ...good, aud: 'client-2' }), 'claim:aud'],
  ['a token for several audiences, ours among them', () => sign('ES256', { ...good, aud: ['x', audience] }), 'accept'],
  ['a token without an audience', () => sign('ES256', { iss: issuer, sub: 'u1', exp: t + 60 }), 'claim:aud'],
  ['a token whose exp is not a number', () => sign('ES256', { ...good, exp: 'soon' }), 'claim:exp'],
  ['a token whose iat is not a number', () => sign('ES256', { ...good, iat: 'then' }), 'claim:iat'],
  ['a token whose nbf is not a number', () => sign('ES256', { ...good, nbf: 'now' }), 'claim:nbf'],
  [
    'a token signed with an algorithm not allowed (RS384)',
    async () => {
      const pair = await jose.generateKeyPair('RS384');
      return new jose.SignJWT(good).setProtectedHeader({ alg: 'RS384', kid: 'k-RS256' }).sign(pair.privateKey);
    },
    'algorithm',
  ],
  ['an unsecured token (alg none)', async () => `${b64({ alg: 'none' })}.${b64(good)}.`, 'algorithm'],
  [
    'an unsecured token with a signature (alg none)',
    async () => `${b64({ alg: 'none' })}.${b64(good)}.${b64('sig')}`,
    'algorithm',
  ],
  [
    'an HS256 token made with a public key as the secret',
    async () => {
      const input = `${b64({ alg: 'HS256', kid: 'k-RS256' })}.${b64(good)}`;
      const secret = JSON.stringify(jwks.keys[0]);
      return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
    },
    'algorithm',
  ],
  [
    'a token whose payload was changed after signing',
    async () => {
      const [h, , s] = (await sign('ES256')).split('.');
      return `${h}.${b64({ ...good, sub: 'admin' })}.${s}`;
    },
    'signature',
  ],
  [
    'a token whose signature was changed',
    async () => {
      const [h, p, s] = (await sign('RS256')).split('.') as [string, string, string];
      const bytes = Buffer.from(s, 'base64url');
      bytes[10] = (bytes[10] ?? 0) ^ 0xff;
      return `${h}.${p}.${bytes.toString('base64url')}`;
    },
    'signature',
  ],
  [
    'an ES256 token whose signature has the wrong length',
    async () => {
      const [h, p] = (await sign('ES256')).split('.');
      return `${h}.${p}.${b64('x'.repeat(70))}`;
    },
    'signature',
  ],
  [
    'a token signed by another key under a known kid',
    async () => {
      const pair = await jose.generateKeyPair('ES256');
      return new jose.SignJWT(good).setProtectedHeader({ alg: 'ES256', kid: 'k-ES256' }).sign(pair.privateKey);
    },
    'signature',
  ],
  ['a token naming an unknown kid', () => sign('ES256', good, { kid: 'k-unknown' }), 'no_key'],
  [
    'an ES256 token naming the kid of an RSA key (wrong key type)',
    () => sign('ES256', good, { kid: 'k-RS256' }),
    'no_key',
  ],
  [
    'an ES384 token naming the kid of a P-256 key (wrong curve)',
    () => sign('ES384', good, { kid: 'k-ES256' }),
    'no_key',
  ],
  [
    'a token with an unknown critical header',
    async () => handSigned({ alg: 'ES256', kid: 'k-ES256', crit: ['exp-ext'], 'exp-ext': 1 }, b64(good)),
    'malformed',
  ],
  [
    'a token with an unencoded payload (b64 false, critical)',
    async () => handSigned({ alg: 'ES256', kid: 'k-ES256', b64: false, crit: ['b64'] }, JSON.stringify({ sub: 'u1' })),
    'malformed',
  ],
  [
    'a token whose payload is not JSON',
    () => rawSigned('ES256', { alg: 'ES256', kid: 'k-ES256' }, 'not json'),
    'malformed',
  ],
  [
    'a token whose payload is a JSON array',
    () => rawSigned('ES256', { alg: 'ES256', kid: 'k-ES256' }, '[1,2]'),
    'malformed',
  ],
  ['two parts only', async () => (await sign('ES256')).split('.').slice(0, 2).join('.'), 'malformed'],
  ['a header that is not JSON', async () => `${b64('nope')}.${b64(good)}.${b64('sig')}`, 'malformed'],
  ['a header without alg', async () => `${b64({ kid: 'k-ES256' })}.${b64(good)}.${b64('sig')}`, 'malformed'],
  ['an empty string', async () => '', 'malformed'],
];

describe('verifyJwt and jose.jwtVerify on the same inputs', () => {
  it.each(cases)('agree on %s', async (_name, build, expected) => {
    const token = await build();
    const [mine, reference] = [await ourVerdict(token), await joseVerdict(token)];
    expect({ ours: mine, jose: reference }).toEqual({ ours: expected, jose: expected });
  });
});

/**
 * Where we refuse what jose accepts, on purpose: RFC 7797 §6 requires `b64` to be critical, jose ignores a bare one;
 * RFC 7519 §4.1.2 makes `sub` a string, jose checks it only when asked for a subject.
 */
describe('verifyJwt is stricter than jose.jwtVerify, on purpose, for', () => {
  it.each([
    ['a bare b64 header (not critical)', () => sign('ES256', good, { b64: false }), 'malformed'],
    ['a sub that is not a string', () => sign('ES256', { ...good, sub: 42 }), 'claim:sub'],
  ] as [string, () => Promise<string>, string][])('%s', async (_name, build, expected) => {
    const token = await build();
    expect({ ours: await ourVerdict(token), jose: await joseVerdict(token) }).toEqual({
      ours: expected,
      jose: 'accept',
    });
  });
});
