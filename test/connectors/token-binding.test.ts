import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { tokenBinding } from '../../src/connectors/shared/token-binding.js';
import type { VerifiedClaims } from '../../src/connectors/shared/verify-id-token.js';

const sha256Hex = (value: string) => createHash('sha256').update(value).digest('hex');
const claims = (extra: Record<string, unknown> = {}): VerifiedClaims => ({
  iss: 'https://idp.example',
  sub: '42',
  exp: 2_000_000_000,
  ...extra,
});

describe('tokenBinding', () => {
  it("digests a plainly carried nonce, and takes Apple's carried hash as the digest (case-insensitively)", () => {
    const nonce = 'n0nce-from-gatehouse';
    const plain = tokenBinding('h.p.s', claims({ nonce }), { carriage: 'plain', nonceRequired: false });
    expect(plain.nonceDigest).toBe(sha256Hex(nonce));
    const apple = tokenBinding('h.p.s', claims({ nonce: sha256Hex(nonce).toUpperCase() }), {
      carriage: 'sha256',
      nonceRequired: true,
    });
    expect(apple).toMatchObject({ nonceDigest: sha256Hex(nonce), nonceRequired: true });
  });

  it('has no nonce digest for a token without a nonce, and keeps it until exp plus the clock skew', () => {
    const binding = tokenBinding('h.p.s', claims(), { carriage: 'plain', nonceRequired: false });
    expect(binding.nonceDigest).toBeUndefined();
    expect(binding.expiresAt).toBe(2_000_000_060);
  });

  it('keys a token by issuer and jti, else by its signed part: another signature of the same payload is the same token', () => {
    const withJti = claims({ jti: 'abc' });
    expect(tokenBinding('h.p.sig1', withJti, { carriage: 'plain', nonceRequired: false }).replayKey).toBe(
      tokenBinding('h2.p2.sig2', withJti, { carriage: 'plain', nonceRequired: false }).replayKey,
    );
    const a = tokenBinding('h.p.sig1', claims(), { carriage: 'plain', nonceRequired: false });
    const b = tokenBinding('h.p.sig2', claims(), { carriage: 'plain', nonceRequired: false });
    const c = tokenBinding('h.q.sig1', claims(), { carriage: 'plain', nonceRequired: false });
    expect(a.replayKey).toBe(b.replayKey);
    expect(a.replayKey).not.toBe(c.replayKey);
  });
});
