import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apps, claimsOf, postForm, type SocialFixture, startSocialFixture } from '../../harness/social.js';
import { expectNoWrites } from '../../harness/storage.js';

let f: SocialFixture;
let tokenUrl: string;

const credentials = () => ({ client_id: f.clientId, client_secret: f.clientSecret });

beforeAll(async () => {
  f = await startSocialFixture({ tenantId: 'sts-grants' });
  tokenUrl = `${f.gh.url}/connect/token`;
});
afterAll(async () => f?.close());

const sha256Hex = (value: string) => createHash('sha256').update(value).digest('hex');

const issuedNonce = async (): Promise<string> => {
  const response = await postForm(`${f.gh.url}/t/${f.tenant.id}/nonce`, credentials());
  expect(response.status).toBe(200);
  return response.body.nonce as string;
};

/** What a native app of each provider holds, for the STS grant of that provider. */
const nativeToken = async (kind: keyof typeof apps, sub: string, email: string): Promise<string> => {
  // Sign in with Apple requires a nonce of ours by default; the app hands Apple its SHA-256 hex.
  const nonce = kind === 'apple' ? { nonce: sha256Hex(await issuedNonce()) } : {};
  const minted = await f.idp.mint(kind, {
    clientId: apps[kind],
    sub,
    email,
    emailVerified: true,
    name: 'Nat Ive',
    ...nonce,
  });
  const token = kind === 'facebook' || kind === 'github' ? minted.access_token : minted.id_token;
  if (token === undefined) throw new Error(`the emulator minted no token for ${kind}`);
  return token;
};

describe('POST /connect/token provider grants', () => {
  it.each([
    ['Google', 'google'],
    ['Microsoft', 'microsoft'],
    ['LinkedIn', 'linkedin'],
    ['Apple', 'apple'],
    ['GitHub', 'github'],
  ] as const)('answers newuser, then amr external after the account is created, for grant_type=%s', async (grant, kind) => {
    const email = `${kind}.user@example.com`;
    const first = await postForm(tokenUrl, {
      grant_type: grant,
      assertion: await nativeToken(kind, `${kind}-1`, email),
      ...credentials(),
    });
    expect(first.status).toBe(200);
    expect(claimsOf(first.body.access_token)).toMatchObject({ newuser: true, idp: kind, email });
    const created = await fetch(`${f.gh.url}/connect/accounts`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${first.body.access_token as string}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ firstName: 'Nat' }),
    });
    expect(created.status).toBe(201);
    const account = ((await created.json()) as { account: { id: string; email: string } }).account;
    expect(account.email).toBe(email);
    const login = await postForm(tokenUrl, {
      grant_type: grant,
      assertion: await nativeToken(kind, `${kind}-1`, email),
      ...credentials(),
    });
    expect(login.status).toBe(200);
    const claims = claimsOf(login.body.access_token);
    // The account just created signs in, and is no longer new.
    expect(claims).toMatchObject({ sub: account.id, amr: ['external', kind] });
    expect(claims.newuser).toBeUndefined();
  });

  it('answers an unverified email of an existing account as it answers a new one, down to the account it creates', async () => {
    const owner = await f.gh.core.users.create(f.tenant.id, {
      email: 'owner@example.com',
      password: 'the owner password',
      emailVerified: true,
    });
    const signIn = async (sub: string, email: string) => {
      const minted = await f.idp.mint('google', { clientId: apps.google, sub, email, emailVerified: false });
      const response = await postForm(tokenUrl, {
        grant_type: 'Google',
        assertion: minted.id_token as string,
        ...credentials(),
      });
      const {
        iat: _,
        exp: __,
        jti: ___,
        sub: ____,
        idp_sub: _____,
        email: ______,
        ...claims
      } = claimsOf(response.body.access_token);
      return { status: response.status, claims, token: response.body.access_token as string };
    };
    const unknown = await signIn('probe-unknown', 'nobody@example.com');
    const taken = await signIn('probe-taken', 'owner@example.com');
    expect(taken.status).toBe(200);
    expect(taken).toMatchObject({ status: unknown.status, claims: unknown.claims });
    expect(taken.claims).toMatchObject({ newuser: true });

    const created = await fetch(`${f.gh.url}/connect/accounts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${taken.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ firstName: 'Pro' }),
    });
    expect(created.status).toBe(201);
    const { account } = (await created.json()) as { account: { id: string; email: string; email_verified: boolean } };
    expect(account).toMatchObject({ email: 'owner@example.com', email_verified: false });
    expect(account.id).not.toBe(owner.id);
    expect(await f.gh.core.users.findByEmail(f.tenant.id, 'owner@example.com')).toEqual(owner);
  });

  it('treats grant types case-sensitively: grant_type=facebook is unsupported', async () => {
    const response = await postForm(tokenUrl, {
      grant_type: 'facebook',
      assertion: await nativeToken('facebook', 'fb-case', 'case@example.com'),
      ...credentials(),
    });
    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      error: 'unsupported_grant_type',
      error_description: 'grant_type "facebook" is not supported',
    });
  });

  it('refuses a wrong client secret with 401 and WWW-Authenticate, and writes nothing', async () => {
    const assertion = await nativeToken('facebook', 'fb-secret', 'secret@example.com');
    const response = await expectNoWrites(f.gh.storage.db, () =>
      postForm(tokenUrl, { grant_type: 'Facebook', assertion, client_id: f.clientId, client_secret: 'wrong' }),
    );
    expect(response.status).toBe(401);
    expect(response.body).toEqual({ error: 'invalid_client', error_description: 'client authentication failed' });
    expect(response.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
  });

  it('refuses an unknown client the same way as a wrong secret', async () => {
    const response = await postForm(tokenUrl, {
      grant_type: 'Facebook',
      assertion: 'x',
      client_id: 'nobody',
      client_secret: 'x',
    });
    expect(response.status).toBe(401);
    expect(response.body).toEqual({ error: 'invalid_client', error_description: 'client authentication failed' });
  });

  it('refuses a missing assertion', async () => {
    const response = await postForm(tokenUrl, { grant_type: 'Facebook', ...credentials() });
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ error: 'invalid_request', error_description: 'assertion is missing' });
  });

  it('refuses a client not allowed the provider grant', async () => {
    const other = await f.gh.core.clients.create(f.tenant.id, { name: 'cc only', grantTypes: ['client_credentials'] });
    const response = await postForm(tokenUrl, {
      grant_type: 'Facebook',
      assertion: await nativeToken('facebook', 'fb-unauth', 'unauth@example.com'),
      client_id: other.client.clientId,
      client_secret: other.clientSecret ?? '',
    });
    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      error: 'unauthorized_client',
      error_description: 'the client may not use grant_type Facebook',
    });
  });

  it('refuses a garbage assertion as invalid_grant and writes nothing', async () => {
    const response = await expectNoWrites(f.gh.storage.db, () =>
      postForm(tokenUrl, { grant_type: 'Google', assertion: 'not-a-token', ...credentials() }),
    );
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ error: 'invalid_grant', error_description: 'the assertion is not a Google token' });
  });

  it('refuses an ff_token that is not a valid access token of this tenant', async () => {
    const assertion = await nativeToken('facebook', 'fb-ff', 'ff@example.com');
    const response = await expectNoWrites(f.gh.storage.db, () =>
      postForm(tokenUrl, {
        grant_type: 'Facebook',
        assertion,
        ff_token: 'eyJhbGciOiJFUzI1NiJ9.e30.AAAA',
        ...credentials(),
      }),
    );
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ error: 'invalid_grant', error_description: 'Invalid ff_token' });
    // The same assertion without the bad ff_token is good: the refusal was the ff_token's.
    const alone = await postForm(tokenUrl, { grant_type: 'Facebook', assertion, ...credentials() });
    expect(alone.status).toBe(200);
    expect(claimsOf(alone.body.access_token)).toMatchObject({ newuser: true, idp_sub: 'fb-ff' });
  });

  it('refuses a newuser token as ff_token: it proves no account', async () => {
    const newUser = await postForm(tokenUrl, {
      grant_type: 'Facebook',
      assertion: await nativeToken('facebook', 'fb-newuser-ff', 'newuser-ff@example.com'),
      ...credentials(),
    });
    expect(claimsOf(newUser.body.access_token).newuser).toBe(true);
    const response = await expectNoWrites(f.gh.storage.db, async () =>
      postForm(tokenUrl, {
        grant_type: 'Facebook',
        assertion: await nativeToken('facebook', 'fb-newuser-ff-2', 'other-ff@example.com'),
        ff_token: newUser.body.access_token as string,
        ...credentials(),
      }),
    );
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ error: 'invalid_grant', error_description: 'Invalid ff_token' });
  });

  it('refuses linking an identity that belongs to another account', async () => {
    const assertion = await nativeToken('facebook', 'fb-owned', 'owned@example.com');
    const first = await postForm(tokenUrl, { grant_type: 'Facebook', assertion, ...credentials() });
    const created = await fetch(`${f.gh.url}/connect/accounts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${first.body.access_token as string}` },
    });
    expect(created.status).toBe(201);
    await f.gh.core.users.create(f.tenant.id, {
      email: 'someone@example.com',
      password: 'someone password',
      emailVerified: true,
    });
    const someone = await postForm(tokenUrl, {
      grant_type: 'password',
      username: 'someone@example.com',
      password: 'someone password',
      ...credentials(),
    });
    const response = await expectNoWrites(f.gh.storage.db, () =>
      postForm(tokenUrl, {
        grant_type: 'Facebook',
        assertion,
        ff_token: someone.body.access_token as string,
        ...credentials(),
      }),
    );
    expect(response.body).toEqual({
      error: 'invalid_grant',
      error_description: 'This facebook account is already linked to another user',
    });
  });

  it('refuses a malformed body in RFC 6749 JSON, never a 500', async () => {
    const response = await fetch(tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"grant_type":',
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error: 'invalid_request',
      error_description: 'the body is not valid JSON',
    });
    const xml = await fetch(tokenUrl, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: '<x/>' });
    expect(xml.status).toBe(415);
    expect(await xml.json()).toMatchObject({ error: 'invalid_request' });
  });
});

describe('POST /connect/token standard grants (tenant from the client)', () => {
  it('serves client_credentials, password and refresh_token with rotation', async () => {
    const cc = await postForm(tokenUrl, { grant_type: 'client_credentials', scope: 'api', ...credentials() });
    expect(cc.status).toBe(200);
    expect(claimsOf(cc.body.access_token)).toMatchObject({ sub: f.clientId, iss: f.gh.issuer(f.tenant.id) });

    await f.gh.core.users.create(f.tenant.id, {
      email: 'pw@example.com',
      password: 'pw password 123',
      emailVerified: true,
    });
    const pw = await postForm(tokenUrl, {
      grant_type: 'password',
      username: 'pw@example.com',
      password: 'pw password 123',
      ...credentials(),
    });
    expect(pw.status).toBe(200);
    const rotated = await postForm(tokenUrl, {
      grant_type: 'refresh_token',
      refresh_token: pw.body.refresh_token as string,
      ...credentials(),
    });
    expect(rotated.status).toBe(200);
    expect(rotated.body.refresh_token).not.toBe(pw.body.refresh_token);
    const reused = await postForm(tokenUrl, {
      grant_type: 'refresh_token',
      refresh_token: pw.body.refresh_token as string,
      ...credentials(),
    });
    expect(reused.status).toBe(400);
    expect(reused.body.error).toBe('invalid_grant');
  });
});
