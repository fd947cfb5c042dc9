/**
 * The tenant's second-factor policy holds on every OAuth path from a first factor to tokens: the password grant and
 * RFC 8693 token exchange answer `invalid_grant` (they cannot ask for a factor), the hosted sign-in page goes on to
 * the second-factor page before it issues a code, and grants or sessions obtained before the policy changed stop
 * working.
 */
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserFetch, CookieJar, csrfOf, locationOf, signInThroughPage } from '../../harness/clients.js';
import { apps, claimsOf, postForm, type SocialFixture, startSocialFixture } from '../../harness/social.js';
import { expectNoWrites, storageKinds } from '../../harness/storage.js';

const redirectUri = 'http://127.0.0.1:9/callback';
const password = 'a second factor, please';
const mfaRequired = {
  error: 'invalid_grant',
  error_description:
    'a second factor is required for this sign-in and was not answered; sign in through the authorization endpoint, which asks for one',
};

const pkce = () => {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
};

describe.each(storageKinds)('the tenant second-factor policy on the OAuth surface (%s)', (kind) => {
  let f: SocialFixture;
  let tokenUrl: string;
  const tenantId = `mfa-oauth-${kind}`;
  const email = `ada-${kind}@example.com`;

  const setMfa = (mfa: 'off' | 'social' | 'all') => f.gh.core.tenants.update(tenantId, { policies: { mfa } });
  const client = () => ({ client_id: f.clientId, client_secret: f.clientSecret });
  const passwordGrant = () =>
    postForm(tokenUrl, { grant_type: 'password', username: email, password, scope: 'openid email', ...client() });
  const authorizeUrl = (challenge: string, extra: Record<string, string> = {}) => {
    const url = new URL(`${f.gh.issuer(tenantId)}/authorize`);
    const params = {
      response_type: 'code',
      client_id: f.clientId,
      redirect_uri: redirectUri,
      scope: 'openid email',
      state: 'client-state',
      code_challenge: challenge,
      code_challenge_method: 'S256',
      ...extra,
    };
    for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
    return url.href;
  };
  const redeem = (code: string, verifier: string) =>
    postForm(tokenUrl, {
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
      code_verifier: verifier,
      ...client(),
    });

  beforeAll(async () => {
    f = await startSocialFixture({ tenantId, policies: { mfa: 'all' }, start: { storage: kind } });
    tokenUrl = `${f.gh.issuer(tenantId)}/token`;
    await f.gh.core.users.create(tenantId, { email, password, emailVerified: true });
    // The tenant's signing keys exist before the first issuance (they are made on first use, not by the refusals).
    await f.gh.core.keys.warm(tenantId);
  });
  afterAll(async () => f?.close());

  it('refuses the password grant with invalid_grant when the tenant asks for a second factor after passwords', async () => {
    const response = await expectNoWrites(f.gh.storage.db, passwordGrant);
    expect(response.status).toBe(400);
    expect(response.body).toEqual(mfaRequired);
    // A wrong password is still a wrong password: the policy tells nothing before the first factor passed.
    const wrong = await postForm(tokenUrl, {
      grant_type: 'password',
      username: email,
      password: 'not the password',
      ...client(),
    });
    expect(wrong.body).toEqual({ error: 'invalid_grant', error_description: 'invalid email or password' });
    await f.gh.core.audit.flush();
    const refused = (await f.gh.core.audit.list(tenantId)).filter(
      (e) => e.type === 'login.failed' && (e.details as { code?: string }).code === 'mfa_required',
    );
    expect(refused.length).toBeGreaterThan(0);
  });

  it('refuses an RFC 8693 token exchange of an IdP token, and writes nothing, not even the new user', async () => {
    // A fresh ID token for each exchange: one that signs in is spent (native token binding).
    const exchange = async () => {
      const { id_token } = await f.idp.mint('google', {
        clientId: apps.google,
        sub: `g-${kind}`,
        email: `gia-${kind}@example.com`,
        emailVerified: true,
      });
      return postForm(tokenUrl, {
        grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
        subject_token: String(id_token),
        subject_token_type: 'urn:ietf:params:oauth:token-type:id_token',
        subject_issuer: 'google',
        scope: 'openid email',
        ...client(),
      });
    };
    const response = await expectNoWrites(f.gh.storage.db, exchange);
    expect(response.status).toBe(400);
    expect(response.body).toEqual(mfaRequired);
    expect(await f.gh.core.users.findByEmail(tenantId, `gia-${kind}@example.com`)).toBeUndefined();
    // Under `social` too: the first factor was an IdP.
    await setMfa('social');
    try {
      const social = await expectNoWrites(f.gh.storage.db, exchange);
      expect(social.body).toEqual(mfaRequired);
      // A returning user (identity linked while the policy was off) is refused as well, before any write.
      await setMfa('off');
      expect((await exchange()).status).toBe(200);
      await setMfa('social');
      const returning = await expectNoWrites(f.gh.storage.db, exchange);
      expect(returning.body).toEqual(mfaRequired);
    } finally {
      await setMfa('all');
    }
  });

  it('sends the hosted password sign-in on to the second-factor page, and issues the code only after it', async () => {
    const jar = new CookieJar();
    const { verifier, challenge } = pkce();
    const { callback } = await signInThroughPage(jar, authorizeUrl(challenge), { email, password }, redirectUri).catch(
      () => ({ callback: new URL('about:blank') }),
    );
    // Not back at the client: the answer to the password is the second-factor page.
    expect(callback.href.startsWith(redirectUri)).toBe(false);
    expect(callback.pathname).toMatch(new RegExp(`^/t/${tenantId}/sign-in/[^/]+/mfa$`));
    expect(jar.names()).not.toContain('gatehouse_session');
    const mfaPage = callback.href;
    const page = await browserFetch(jar, mfaPage);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('Verify it is you');
    const csrf = csrfOf(html);
    const mechanism = /name="mechanism" value="([^"]+)"/.exec(html)?.[1] ?? '';
    const post = (body: Record<string, string>) =>
      browserFetch(jar, mfaPage, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ csrf, mechanism, ...body }).toString(),
      });
    expect((await post({ action: 'start_oob' })).status).toBe(200);
    const mail = (await f.gh.core.mail.outbox()).find((m) => m.to === email);
    const code = /Enter this code: (\d{6})/.exec(mail?.text ?? '')?.[1] ?? '';
    let response = await post({ action: 'answer', answer: code });
    let url = mfaPage;
    while (response.status === 303) {
      url = locationOf(response, url);
      if (url.startsWith(redirectUri)) break;
      response = await browserFetch(jar, url);
    }
    const back = new URL(url);
    expect(back.searchParams.get('state')).toBe('client-state');
    const tokens = await redeem(back.searchParams.get('code') ?? '', verifier);
    expect(tokens.status).toBe(200);
    expect(claimsOf(tokens.body.access_token).amr).toEqual(['pwd', 'otp', 'mfa']);

    // That session has the second factor: it answers the next authorization request at once.
    const again = pkce();
    const direct = await browserFetch(jar, authorizeUrl(again.challenge));
    expect(locationOf(direct, f.gh.url).startsWith(redirectUri)).toBe(true);
  });

  it('does not let a password-only session answer an authorization request once the tenant asks for more', async () => {
    await setMfa('off');
    const jar = new CookieJar();
    try {
      const { callback } = await signInThroughPage(
        jar,
        authorizeUrl(pkce().challenge),
        { email, password },
        redirectUri,
      );
      expect(callback.searchParams.get('code')).not.toBeNull();
    } finally {
      await setMfa('all');
    }
    // The session (amr ["pwd"]) is still live, but no longer signs anyone in here.
    const response = await browserFetch(jar, authorizeUrl(pkce().challenge));
    expect(new URL(locationOf(response, f.gh.url)).pathname).toMatch(new RegExp(`^/t/${tenantId}/sign-in/`));
    const silent = await browserFetch(jar, authorizeUrl(pkce().challenge, { prompt: 'none' }));
    const error = new URL(locationOf(silent, f.gh.url));
    expect(`${error.origin}${error.pathname}`).toBe(redirectUri);
    expect(Object.fromEntries(error.searchParams)).toEqual({
      error: 'login_required',
      error_description: 'the user is not signed in',
      state: 'client-state',
      iss: f.gh.issuer(tenantId),
    });
  });

  it('refuses the account API to an access token whose sign-in predates the policy (RFC 9470 step-up)', async () => {
    await setMfa('off');
    let token = '';
    try {
      token = String((await passwordGrant()).body.access_token);
      expect(
        (await fetch(`${f.gh.issuer(tenantId)}/account`, { headers: { authorization: `Bearer ${token}` } })).status,
      ).toBe(200);
    } finally {
      await setMfa('all');
    }
    const response = await fetch(`${f.gh.issuer(tenantId)}/account`, { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({
      error: 'insufficient_user_authentication',
      error_description: 'this tenant now requires a second factor: sign in again',
    });
    expect(response.headers.get('www-authenticate')).toContain('error="insufficient_user_authentication"');
  });

  it('refuses, and revokes, a refresh token whose sign-in predates the policy', async () => {
    await setMfa('off');
    let first: Awaited<ReturnType<typeof passwordGrant>>;
    try {
      first = await passwordGrant();
      expect(first.status).toBe(200);
    } finally {
      await setMfa('all');
    }
    const refresh = () =>
      postForm(tokenUrl, { grant_type: 'refresh_token', refresh_token: String(first.body.refresh_token), ...client() });
    const refused = await refresh();
    expect(refused.status).toBe(400);
    expect(refused.body).toEqual(mfaRequired);
    // Its access token went with the family.
    const introspected = await postForm(`${f.gh.issuer(tenantId)}/introspect`, {
      token: String(first.body.access_token),
      ...client(),
    });
    expect(introspected.body).toEqual({ active: false });
    // The family is revoked: even with the policy relaxed again, its refresh token is dead.
    await setMfa('off');
    try {
      const after = await refresh();
      expect(after.status).toBe(400);
      expect(after.body).toMatchObject({ error: 'invalid_grant' });
    } finally {
      await setMfa('all');
    }
  });
});
