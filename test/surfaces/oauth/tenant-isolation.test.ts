import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningGatehouse, startGatehouse } from '../../harness/gatehouse.js';
import { expectNoWrites } from '../../harness/storage.js';
import { postForm, setUpTenant, type TestTenant, webTokens } from './fixture.js';

let gatehouse: RunningGatehouse;
let a: TestTenant;
let b: TestTenant;
let tokensOfA: { access_token: string; refresh_token: string };

beforeAll(async () => {
  gatehouse = await startGatehouse();
  a = await setUpTenant(gatehouse, 'tenant-a');
  b = await setUpTenant(gatehouse, 'tenant-b');
  tokensOfA = (await webTokens(a)).tokens;
});
afterAll(async () => {
  await gatehouse?.close();
});

const webOf = (t: TestTenant) => ({ basic: { clientId: t.web.clientId, secret: t.web.secret } });

describe('a token of tenant A presented to tenant B', () => {
  it('is refused by B’s userinfo', async () => {
    const response = await fetch(`${b.issuer}/userinfo`, {
      headers: { authorization: `Bearer ${tokensOfA.access_token}` },
    });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe(
      `Bearer realm="${b.issuer}", error="invalid_token", error_description="the token is not signed by this issuer"`,
    );
    expect(await response.json()).toEqual({
      error: 'invalid_token',
      error_description: 'the token is not signed by this issuer',
    });
  });

  it('is inactive at B’s introspection, and active at A’s', async () => {
    const atB = await expectNoWrites(gatehouse.storage.db, () =>
      postForm(`${b.issuer}/introspect`, { token: tokensOfA.access_token }, webOf(b)),
    );
    expect(atB).toMatchObject({ status: 200, body: { active: false } });
    const refreshAtB = await postForm(`${b.issuer}/introspect`, { token: tokensOfA.refresh_token }, webOf(b));
    expect(refreshAtB.body).toEqual({ active: false });
    const atA = await postForm(`${a.issuer}/introspect`, { token: tokensOfA.access_token }, webOf(a));
    expect(atA.body).toMatchObject({ active: true, iss: a.issuer, sub: a.user.id });
  });

  it('cannot be refreshed or revoked at B', async () => {
    const refresh = await expectNoWrites(gatehouse.storage.db, () =>
      postForm(`${b.issuer}/token`, { grant_type: 'refresh_token', refresh_token: tokensOfA.refresh_token }, webOf(b)),
    );
    expect(refresh.status).toBe(400);
    expect(refresh.body).toEqual({ error: 'invalid_grant', error_description: 'the refresh token is invalid' });

    const revoke = await expectNoWrites(gatehouse.storage.db, () =>
      postForm(`${b.issuer}/revoke`, { token: tokensOfA.refresh_token }, webOf(b)),
    );
    expect(revoke.status).toBe(200);
    const stillActive = await postForm(`${a.issuer}/introspect`, { token: tokensOfA.refresh_token }, webOf(a));
    expect(stillActive.body).toMatchObject({ active: true });
  });

  it('is refused by A’s own core when checked against B', async () => {
    await expect(gatehouse.core.tokens.verifyAccessToken(b.id, tokensOfA.access_token)).rejects.toMatchObject({
      code: 'invalid_token',
    });
    await expect(gatehouse.core.tokens.verifyAccessToken(a.id, tokensOfA.access_token)).resolves.toMatchObject({
      userId: a.user.id,
      clientId: a.web.clientId,
    });
  });
});
