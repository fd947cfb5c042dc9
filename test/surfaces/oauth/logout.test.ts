import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserFetch, CookieJar, signInThroughPage } from '../../harness/clients.js';
import { type RunningGatehouse, startGatehouse } from '../../harness/gatehouse.js';
import { expectNoWrites, tableCounts } from '../../harness/storage.js';
import {
  authorizeUrl,
  pkce,
  postForm,
  postLogoutRedirectUri,
  redirectUri,
  setUpTenant,
  type TestTenant,
  webTokens,
} from './fixture.js';

let gatehouse: RunningGatehouse;
let tenant: TestTenant;

beforeAll(async () => {
  gatehouse = await startGatehouse();
  tenant = await setUpTenant(gatehouse, 'logout');
});
afterAll(async () => {
  await gatehouse?.close();
});

const logoutUrl = (params: Record<string, string>) => `${tenant.issuer}/logout?${new URLSearchParams(params)}`;

describe('GET /t/:tenant/logout (RP-initiated)', () => {
  it('ends the session and returns to the registered post_logout_redirect_uri with state', async () => {
    const jar = new CookieJar();
    const { tokens } = await webTokens(tenant, jar);
    const sessionsBefore = (await tableCounts(gatehouse.storage.db)).sessions ?? 0;

    const response = await browserFetch(
      jar,
      logoutUrl({ id_token_hint: tokens.id_token, post_logout_redirect_uri: postLogoutRedirectUri, state: 'bye' }),
    );
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe(`${postLogoutRedirectUri}?state=bye`);
    expect(response.headers.getSetCookie()).toEqual([
      `gatehouse_session=; Max-Age=0; Path=/t/${tenant.id}; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax`,
    ]);
    expect(jar.names()).not.toContain('gatehouse_session');
    expect((await tableCounts(gatehouse.storage.db)).sessions).toBe(sessionsBefore - 1);

    const silent = await browserFetch(
      jar,
      authorizeUrl(tenant.issuer, { client_id: tenant.web.clientId, prompt: 'none' }),
    );
    expect(new URL(silent.headers.get('location') as string).searchParams.get('error')).toBe('login_required');
  });

  it('shows an error page, and does not redirect or sign out, for an unregistered post_logout_redirect_uri', async () => {
    const jar = new CookieJar();
    const { tokens } = await webTokens(tenant, jar);
    const response = await expectNoWrites(gatehouse.storage.db, () =>
      browserFetch(
        jar,
        logoutUrl({ id_token_hint: tokens.id_token, post_logout_redirect_uri: 'https://evil.example/' }),
      ),
    );
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
    expect(await response.text()).toContain('Details: post_logout_redirect_uri is not registered for this client');
    expect(jar.names()).toContain('gatehouse_session');
  });

  it('refuses an id_token_hint this tenant did not issue', async () => {
    const response = await expectNoWrites(gatehouse.storage.db, () =>
      fetch(logoutUrl({ id_token_hint: 'eyJhbGciOiJub25lIn0.e30.', post_logout_redirect_uri: postLogoutRedirectUri })),
    );
    expect(response.status).toBe(400);
    const page = await response.text();
    expect(page).toContain('Details: id_token_hint is not a valid ID token of this issuer');
    // The page says what the person was doing, and names no error code.
    expect(page).toContain('<h1>Sign-out could not continue</h1>');
    expect(page).not.toContain('Sign-in');
    expect(page).not.toContain('invalid_request');
  });

  it('asks before signing out a request without id_token_hint, and only its own form signs out', async () => {
    const jar = new CookieJar();
    await webTokens(tenant, jar);
    const stillSignedIn = async () => {
      const silent = await browserFetch(
        jar,
        authorizeUrl(tenant.issuer, { client_id: tenant.web.clientId, prompt: 'none' }),
      );
      return new URL(silent.headers.get('location') as string).searchParams.has('code');
    };
    const params = { client_id: tenant.web.clientId, post_logout_redirect_uri: postLogoutRedirectUri, state: 'bye' };

    // A link or an image on any site: a question, not a sign-out.
    const asked = await expectNoWrites(gatehouse.storage.db, () => browserFetch(jar, logoutUrl(params)));
    expect(asked.status).toBe(200);
    const page = await asked.text();
    expect(page).toContain('<h1>Sign out?</h1>');
    expect(asked.headers.getSetCookie()).toEqual([]);
    expect(await stillSignedIn()).toBe(true);

    // A forged POST (without the page's token) asks again.
    const form = (body: Record<string, string>) => ({
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(body).toString(),
    });
    const forged = await browserFetch(jar, `${tenant.issuer}/logout`, form({ ...params, confirm: 'guess' }));
    expect(forged.status).toBe(200);
    expect(await stillSignedIn()).toBe(true);

    const confirm = /name="confirm" value="([^"]+)"/.exec(page)?.[1] ?? '';
    const done = await browserFetch(jar, `${tenant.issuer}/logout`, form({ ...params, confirm }));
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe(`${postLogoutRedirectUri}?state=bye`);
    expect(await stillSignedIn()).toBe(false);
  });

  it('asks when the id_token_hint is another user’s', async () => {
    const jar = new CookieJar();
    await webTokens(tenant, jar);
    const bob = { email: `bob@${tenant.id}.example`, password: 'bob’s long password' };
    await gatehouse.core.users.create(tenant.id, { ...bob, emailVerified: true });
    const { verifier, challenge } = pkce();
    const url = authorizeUrl(tenant.issuer, {
      client_id: tenant.web.clientId,
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
    const { callback } = await signInThroughPage(new CookieJar(), url, bob, redirectUri);
    const bobs = await postForm(
      `${tenant.issuer}/token`,
      {
        grant_type: 'authorization_code',
        code: callback.searchParams.get('code') ?? '',
        redirect_uri: redirectUri,
        code_verifier: verifier,
      },
      { basic: { clientId: tenant.web.clientId, secret: tenant.web.secret } },
    );

    const response = await expectNoWrites(gatehouse.storage.db, () =>
      browserFetch(
        jar,
        logoutUrl({
          id_token_hint: (bobs.body as { id_token: string }).id_token,
          post_logout_redirect_uri: postLogoutRedirectUri,
        }),
      ),
    );

    expect(response.status).toBe(200);
    expect(await response.text()).toContain('<h1>Sign out?</h1>');
  });

  it('shows a signed-out page when there is nowhere to return to', async () => {
    const response = await fetch(`${tenant.issuer}/logout`);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('<h1>You are signed out</h1>');
  });
});
