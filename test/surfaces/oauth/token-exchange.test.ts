import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apps, claimsOf, postForm, type SocialFixture, startSocialFixture } from '../../harness/social.js';
import { expectNoWrites } from '../../harness/storage.js';
import { startUpstreamOidc, type UpstreamOidc } from '../../harness/upstream-oidc.js';

const grantType = 'urn:ietf:params:oauth:grant-type:token-exchange';
const idTokenType = 'urn:ietf:params:oauth:token-type:id_token';
const accessTokenType = 'urn:ietf:params:oauth:token-type:access_token';

let f: SocialFixture;
let op: UpstreamOidc;
let tokenUrl: string;

const exchange = (subjectToken: string, subjectIssuer: string, extra: Record<string, string> = {}) =>
  postForm(tokenUrl, {
    grant_type: grantType,
    client_id: f.clientId,
    client_secret: f.clientSecret,
    subject_token: subjectToken,
    subject_token_type: idTokenType,
    subject_issuer: subjectIssuer,
    scope: 'openid email profile',
    ...extra,
  });

const googleIdToken = async (sub: string, email?: string, emailVerified = true) =>
  (
    await f.idp.mint('google', {
      clientId: apps.google,
      sub,
      ...(email === undefined ? {} : { email, emailVerified }),
      name: 'Gia Google',
    })
  ).id_token as string;

beforeAll(async () => {
  f = await startSocialFixture({ tenantId: 'exchange' });
  tokenUrl = `${f.gh.issuer(f.tenant.id)}/token`;
  op = await startUpstreamOidc();
  // A generic OpenID connection at a real, certified provider.
  await f.gh.core.connections.set(f.tenant.id, {
    id: 'corp-sso',
    kind: 'oidc',
    clientId: op.clients.web.client_id,
    clientSecret: String(op.clients.web.client_secret),
    trustEmail: true,
    settings: { issuer: op.issuer },
  });
});
afterAll(async () => {
  await op?.close();
  await f?.close();
});

describe('POST /t/{tenant}/token grant_type=token-exchange (RFC 8693)', () => {
  it('creates the user when a new identity with an unknown email is exchanged, and answers RFC 8693 §2.2 JSON', async () => {
    const response = await exchange(await googleIdToken('g-new', 'gia@example.com'), 'google');
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      issued_token_type: accessTokenType,
      token_type: 'Bearer',
      scope: 'openid email profile',
      expires_in: expect.any(Number),
    });
    const jwks = createRemoteJWKSet(new URL(`${f.gh.issuer(f.tenant.id)}/jwks`));
    const { payload } = await jwtVerify(response.body.access_token as string, jwks, {
      issuer: f.gh.issuer(f.tenant.id),
      typ: 'at+jwt',
    });
    const user = await f.gh.core.users.findByEmail(f.tenant.id, 'gia@example.com');
    expect(user).toMatchObject({ emailVerified: true, firstName: null });
    expect(payload).toMatchObject({ sub: user?.id, amr: ['external', 'google'], client_id: f.clientId });
    expect(claimsOf(response.body.id_token)).toMatchObject({
      sub: user?.id,
      email: 'gia@example.com',
      aud: f.clientId,
    });
    expect(typeof response.body.refresh_token).toBe('string');
  });

  it('signs in the linked user when the identity is already linked', async () => {
    const first = await exchange(await googleIdToken('g-linked', 'linked@example.com'), 'google');
    const again = await exchange(await googleIdToken('g-linked', 'linked@example.com'), 'google');
    expect(again.status).toBe(200);
    expect(claimsOf(again.body.access_token).sub).toBe(claimsOf(first.body.access_token).sub);
  });

  it("stores a returning user's refresh token with its family, as issued, so that it rotates", async () => {
    await exchange(await googleIdToken('g-return', 'return@example.com'), 'google');
    const again = await exchange(await googleIdToken('g-return', 'return@example.com'), 'google');
    expect(again.status).toBe(200);
    const access = claimsOf(again.body.access_token);
    const family = await f.gh.storage.db
      .selectFrom('refresh_tokens')
      .innerJoin('token_families', 'token_families.id', 'refresh_tokens.family_id')
      .select([
        'token_families.user_id',
        'token_families.client_id',
        'token_families.scope',
        'token_families.amr',
        'token_families.auth_time',
        'refresh_tokens.access_jti',
        'refresh_tokens.access_expires_at',
        'refresh_tokens.consumed_at',
      ])
      .where('refresh_tokens.access_jti', '=', String(access.jti))
      .executeTakeFirstOrThrow();
    expect(family).toEqual({
      user_id: access.sub,
      client_id: f.clientId,
      scope: 'openid email profile',
      amr: ['external', 'google'],
      auth_time: new Date(Number(access.auth_time) * 1000),
      access_jti: access.jti,
      access_expires_at: new Date(Number(access.exp) * 1000),
      consumed_at: null,
    });
    const rotated = await postForm(tokenUrl, {
      grant_type: 'refresh_token',
      refresh_token: String(again.body.refresh_token),
      client_id: f.clientId,
      client_secret: f.clientSecret,
    });
    expect(rotated.status).toBe(200);
    expect(claimsOf(rotated.body.access_token)).toMatchObject({ sub: access.sub, amr: ['external', 'google'] });
  });

  it("refuses a disabled user's exchange with invalid_grant and starts no token family for them", async () => {
    const first = await exchange(await googleIdToken('g-disabled', 'disabled@example.com'), 'google');
    await f.gh.core.users.setStatus(f.tenant.id, String(claimsOf(first.body.access_token).sub), 'disabled');
    const token = await googleIdToken('g-disabled', 'disabled@example.com');
    const refused = await expectNoWrites(f.gh.storage.db, () => exchange(token, 'google'));
    expect(refused).toMatchObject({
      status: 400,
      body: { error: 'invalid_grant', error_description: 'the user account is disabled' },
    });
  });

  it('signs in returning users who arrive together each as themselves, with refresh tokens of their own', async () => {
    const names = Array.from({ length: 12 }, (_, i) => `g-together-${i}`);
    const subjects = new Map<string, unknown>();
    for (const name of names) {
      const first = await exchange(await googleIdToken(name, `${name}@example.com`), 'google');
      subjects.set(name, claimsOf(first.body.access_token).sub);
    }
    const off = await exchange(await googleIdToken('g-together-off', 'together-off@example.com'), 'google');
    await f.gh.core.users.setStatus(f.tenant.id, String(claimsOf(off.body.access_token).sub), 'disabled');
    const tokens = await Promise.all(names.map((name) => googleIdToken(name, `${name}@example.com`)));
    const offToken = await googleIdToken('g-together-off', 'together-off@example.com');

    const [refused, ...responses] = await Promise.all([
      exchange(offToken, 'google'),
      ...tokens.map((token) => exchange(token, 'google')),
    ]);
    expect(refused).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    responses.forEach((response, i) => {
      expect(response.status).toBe(200);
      const name = names[i] as string;
      expect(claimsOf(response.body.access_token).sub).toBe(subjects.get(name));
      expect(claimsOf(response.body.id_token)).toMatchObject({ sub: subjects.get(name), email: `${name}@example.com` });
    });
    const rotated = await Promise.all(
      responses.map((response) =>
        postForm(tokenUrl, {
          grant_type: 'refresh_token',
          refresh_token: String(response.body.refresh_token),
          client_id: f.clientId,
          client_secret: f.clientSecret,
        }),
      ),
    );
    expect(rotated.map((r) => [r.status, claimsOf(r.body.access_token).sub])).toEqual(
      names.map((name) => [200, subjects.get(name)]),
    );
  });

  it('refuses with invalid_grant and writes nothing when the email belongs to another user', async () => {
    await f.gh.core.users.create(f.tenant.id, {
      email: 'owner@example.com',
      password: 'owner password',
      emailVerified: true,
    });
    const response = await expectNoWrites(f.gh.storage.db, async () =>
      exchange(await googleIdToken('g-owner', 'owner@example.com'), 'google'),
    );
    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      error: 'invalid_grant',
      error_description:
        "The email address owner@example.com belongs to an existing account; to link this identity to it, repeat the request with that account's access token as actor_token",
    });
  });

  it('links the identity when the request proves the account with its own access token as actor_token', async () => {
    await f.gh.core.users.create(f.tenant.id, {
      email: 'prover@example.com',
      password: 'prover password',
      emailVerified: true,
    });
    const password = await postForm(tokenUrl, {
      grant_type: 'password',
      client_id: f.clientId,
      client_secret: f.clientSecret,
      username: 'prover@example.com',
      password: 'prover password',
    });
    const idToken = await googleIdToken('g-prover', 'prover@example.com');
    const linked = await exchange(idToken, 'google', {
      actor_token: password.body.access_token as string,
      actor_token_type: accessTokenType,
    });
    expect(linked.status).toBe(200);
    expect(claimsOf(linked.body.access_token).sub).toBe(claimsOf(password.body.access_token).sub);
    // Linked: the identity alone now signs in, with a token of its own: the one that linked is spent.
    const alone = await exchange(await googleIdToken('g-prover', 'prover@example.com'), 'google');
    expect(claimsOf(alone.body.access_token).sub).toBe(claimsOf(password.body.access_token).sub);
    const replayed = await expectNoWrites(f.gh.storage.db, () => exchange(idToken, 'google'));
    expect(replayed).toMatchObject({
      status: 400,
      body: { error: 'invalid_grant', error_description: 'the ID token has already been used' },
    });
  });

  it('refuses an identity already linked to another user when linking', async () => {
    await exchange(await googleIdToken('g-taken', 'taken-id@example.com'), 'google');
    await f.gh.core.users.create(f.tenant.id, {
      email: 'other@example.com',
      password: 'other password',
      emailVerified: true,
    });
    const other = await postForm(tokenUrl, {
      grant_type: 'password',
      client_id: f.clientId,
      client_secret: f.clientSecret,
      username: 'other@example.com',
      password: 'other password',
    });
    const response = await expectNoWrites(f.gh.storage.db, async () =>
      exchange(await googleIdToken('g-taken', 'taken-id@example.com'), 'google', {
        actor_token: other.body.access_token as string,
        actor_token_type: accessTokenType,
      }),
    );
    expect(response.body).toEqual({
      error: 'invalid_grant',
      error_description: 'This identity is already linked to another account',
    });
  });

  it('answers invalid_grant when the provider gave no email', async () => {
    const response = await expectNoWrites(f.gh.storage.db, async () =>
      exchange(await googleIdToken('g-no-email'), 'google'),
    );
    expect(response.body).toEqual({
      error: 'invalid_grant',
      error_description: 'The identity provider google returned no email address',
    });
  });

  it('stores an email the provider did not verify as unverified', async () => {
    await exchange(await googleIdToken('g-unverified', 'unverified@example.com', false), 'google');
    expect(await f.gh.core.users.findByEmail(f.tenant.id, 'unverified@example.com')).toMatchObject({
      emailVerified: false,
    });
  });

  it('exchanges an ID token issued by a real OpenID provider (oidc-provider)', async () => {
    const { id_token } = await op.issueTokens({ accountId: 'alice', clientId: op.clients.web.client_id });
    const response = await exchange(id_token, 'corp-sso');
    expect(response.status).toBe(200);
    const user = await f.gh.core.users.findByEmail(f.tenant.id, 'alice@example.com');
    expect(claimsOf(response.body.access_token)).toMatchObject({ sub: user?.id, amr: ['external', 'corp-sso'] });
    // A token the same provider issued to another app is not ours to accept.
    const foreign = await op.issueTokens({ accountId: 'bob', clientId: op.clients.other.client_id });
    const refused = await expectNoWrites(f.gh.storage.db, () => exchange(foreign.id_token, 'corp-sso'));
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe('invalid_grant');
  });

  it.each([
    [
      'an unknown subject_issuer',
      { subject_issuer: 'nope' },
      'invalid_request',
      'subject_issuer "nope" is not a configured identity provider',
    ],
    ['a missing subject_issuer', { subject_issuer: '' }, 'invalid_request', 'subject_issuer is missing'],
    [
      'an unsupported subject_token_type',
      { subject_token_type: 'urn:x' },
      'invalid_request',
      'subject_token_type "urn:x" is not supported',
    ],
    [
      'an unsupported requested_token_type',
      { requested_token_type: 'urn:ietf:params:oauth:token-type:refresh_token' },
      'invalid_request',
      `requested_token_type must be ${accessTokenType}`,
    ],
    [
      'a forged actor_token',
      { actor_token: 'a.b.c', actor_token_type: accessTokenType },
      'invalid_grant',
      'the actor_token is invalid or expired',
    ],
  ])('refuses %s and writes nothing', async (_name, extra, error, description) => {
    const token = await googleIdToken(`g-bad-${Math.random()}`, `bad${Math.random()}@example.com`);
    const response = await expectNoWrites(f.gh.storage.db, () => exchange(token, 'google', extra));
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ error, error_description: description });
  });

  it('refuses a forged, expired or foreign-app provider token and writes nothing', async () => {
    const forged = `${(await googleIdToken('g-forged', 'forged@example.com')).slice(0, -4)}AAAA`;
    const expired = (
      await f.idp.mint('google', {
        clientId: apps.google,
        sub: 'g-exp',
        email: 'exp@example.com',
        emailVerified: true,
        expiresIn: -60,
      })
    ).id_token as string;
    const foreign = (
      await f.idp.mint('google', {
        clientId: 'someone-else',
        sub: 'g-foreign',
        email: 'foreign@example.com',
        emailVerified: true,
      })
    ).id_token as string;
    for (const token of [forged, expired, foreign]) {
      const response = await expectNoWrites(f.gh.storage.db, () => exchange(token, 'google'));
      expect(response.status).toBe(400);
      expect(response.body.error).toBe('invalid_grant');
    }
  });

  it('refuses a client not allowed the grant', async () => {
    const limited = await f.gh.core.clients.create(f.tenant.id, {
      name: 'limited',
      grantTypes: ['client_credentials'],
    });
    const response = await postForm(tokenUrl, {
      grant_type: grantType,
      client_id: limited.client.clientId,
      client_secret: limited.clientSecret ?? '',
      subject_token: await googleIdToken('g-limited', 'limited@example.com'),
      subject_token_type: idTokenType,
      subject_issuer: 'google',
    });
    expect(response.status).toBe(400);
    expect(response.body.error).toBe('unauthorized_client');
  });

  it('creates exactly one user when 50 first exchanges of one new identity race', async () => {
    const tokens = await Promise.all(Array.from({ length: 50 }, () => googleIdToken('g-race', 'race@example.com')));
    const responses = await Promise.all(tokens.map((token) => exchange(token, 'google')));
    const subjects = new Set<unknown>();
    for (const r of responses) {
      if (r.status === 200) subjects.add(claimsOf(r.body.access_token).sub);
      // A loser of the race may be told to retry; never a second account.
      else expect(r.body.error).toBe('invalid_request');
    }
    expect(subjects.size).toBe(1);
    const users = await f.gh.storage.db
      .selectFrom('users')
      .select('id')
      .where('email', '=', 'race@example.com')
      .execute();
    expect(users).toHaveLength(1);
    const identities = await f.gh.storage.db
      .selectFrom('identities')
      .select('id')
      .where('subject', '=', 'g-race')
      .execute();
    expect(identities).toHaveLength(1);
  });

  it('signs in once with one ID token, however many exchanges of it race', async () => {
    const token = await googleIdToken('g-once', 'once@example.com');
    const responses = await Promise.all(Array.from({ length: 20 }, () => exchange(token, 'google')));
    expect(responses.filter((r) => r.status === 200)).toHaveLength(1);
    for (const r of responses.filter((r) => r.status !== 200))
      expect(r).toMatchObject({
        status: 400,
        body: { error: 'invalid_grant', error_description: 'the ID token has already been used' },
      });
  });
});
