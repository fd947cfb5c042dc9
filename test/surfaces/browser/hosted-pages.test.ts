/**
 * The OAuth `authorize` hosted pages on the same flow engine: a provider button or `idp_hint` → IdP → callback →
 * (second factor page →) the client's redirect URI with a code that redeems for tokens.
 */
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256 } from '../../../src/lib/crypto.js';
import { browserFetch, CookieJar, csrfOf, locationOf } from '../../harness/clients.js';
import { type EmulatorHarness, startEmulator } from '../../harness/emulator.js';
import { type RunningGatehouse, startGatehouse } from '../../harness/gatehouse.js';
import { aSocialTenant } from '../cyberark/support.js';

let idp: EmulatorHarness;
let gatehouse: RunningGatehouse;
const redirectUri = 'https://app.example/oauth/callback';

beforeAll(async () => {
  idp = await startEmulator();
  gatehouse = await startGatehouse();
  await aSocialTenant(gatehouse.core, idp, 'pages');
  await aSocialTenant(gatehouse.core, idp, 'pages-mfa', { mfa: 'social' });
  await aSocialTenant(gatehouse.core, idp, 'pages-unlink', { linking: 'auto_link_verified' });
});
afterAll(async () => {
  await gatehouse?.close();
  await idp?.close();
});

const pkce = () => {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
};

const authorizeUrl = (tenant: string, challenge: string, extra: Record<string, string> = {}) => {
  const url = new URL(`${gatehouse.issuer(tenant)}/authorize`);
  const params = {
    response_type: 'code',
    client_id: `${tenant}-app`,
    redirect_uri: redirectUri,
    scope: 'openid email profile',
    state: 'client-state',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...extra,
  };
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return url.href;
};

/** Follows same-server redirects with the jar until the next hop leaves Gatehouse. */
const follow = async (jar: CookieJar, response: Response, from: string) => {
  let current = response;
  let url = from;
  while (current.status === 302 || current.status === 303) {
    const next = locationOf(current, url);
    if (!next.startsWith(gatehouse.url)) return { response: current, next };
    url = next;
    current = await browserFetch(jar, next);
  }
  return { response: current, next: url };
};

/** The browser at the IdP: the emulator's answer, delivered back (GET, or Apple's form POST). */
const throughIdp = async (jar: CookieJar, idpUrl: string, user: string) => {
  const callback = await idp.signIn(idpUrl, user);
  const url = callback.method === 'GET' ? `${callback.redirectUri}?${callback.params}` : callback.redirectUri;
  const response =
    callback.method === 'GET'
      ? await browserFetch(jar, url)
      : await browserFetch(jar, url, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: callback.params.toString(),
        });
  return follow(jar, response, url);
};

const redeem = async (tenant: string, code: string, verifier: string) => {
  const response = await fetch(`${gatehouse.issuer(tenant)}/token`, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
      client_id: `${tenant}-app`,
      code_verifier: verifier,
    }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, string> };
};

const clientCode = (next: string) => {
  const url = new URL(next);
  expect(`${url.origin}${url.pathname}`).toBe(redirectUri);
  expect(url.searchParams.get('state')).toBe('client-state');
  return url.searchParams.get('code') ?? '';
};

describe('GET /t/{tenant}/authorize → hosted sign-in page → upstream IdP', () => {
  it('offers a button per provider that signs in through it and returns a code to the client', async () => {
    const jar = new CookieJar();
    const { verifier, challenge } = pkce();
    const authorize = authorizeUrl('pages', challenge);
    const signIn = locationOf(await browserFetch(jar, authorize), authorize);
    const page = await (await browserFetch(jar, signIn)).text();
    for (const name of ['Facebook', 'Google', 'LinkedIn', 'Microsoft', 'Apple', 'GitHub'])
      expect(page).toContain(`>Continue with ${name}</span></a>`);
    const google = /href="([^"]+\/upstream\/google)"/.exec(page)?.[1] ?? '';
    expect(google).toBe(`${signIn}/upstream/google`);

    const toIdp = await browserFetch(jar, google);
    expect(toIdp.status).toBe(303);
    const idpUrl = locationOf(toIdp, google);
    expect(idpUrl.startsWith(`${idp.url}/google/authorize?`)).toBe(true);
    expect(jar.names()).toContain(
      `__Host-gatehouse_flow_${sha256(new URL(idpUrl).searchParams.get('state') ?? '').slice(0, 16)}`,
    );

    const { response, next } = await throughIdp(jar, idpUrl, 'alice');
    expect(response.status).toBe(303);
    const tokens = await redeem('pages', clientCode(next), verifier);
    expect(tokens.status).toBe(200);
    const info = await fetch(`${gatehouse.issuer('pages')}/userinfo`, {
      headers: { authorization: `Bearer ${tokens.body.access_token}` },
    });
    expect(await info.json()).toMatchObject({ email: 'alice@example.com' });
    const flows = await gatehouse.storage.db
      .selectFrom('login_flows')
      .select(['status', 'target'])
      .where('tenant_id', '=', 'pages')
      .execute();
    expect(flows).toEqual([{ status: 'consumed', target: expect.objectContaining({ kind: 'oauth_authorize' }) }]);
  });

  it('goes straight to the provider with idp_hint (Apple, form_post) and back with a code', async () => {
    const jar = new CookieJar();
    const { verifier, challenge } = pkce();
    const authorize = authorizeUrl('pages', challenge, { idp_hint: 'apple' });
    const { next: idpUrl } = await follow(jar, await browserFetch(jar, authorize), authorize);
    expect(idpUrl.startsWith(`${idp.url}/apple/authorize?`)).toBe(true);
    const { next } = await throughIdp(jar, idpUrl, 'erin');
    expect((await redeem('pages', clientCode(next), verifier)).status).toBe(200);
  });

  it('refuses the callback in another browser: an error page, no code', async () => {
    const jar = new CookieJar();
    const { challenge } = pkce();
    const authorize = authorizeUrl('pages', challenge, { idp_hint: 'github' });
    const { next: idpUrl } = await follow(jar, await browserFetch(jar, authorize), authorize);
    const { response } = await throughIdp(new CookieJar(), idpUrl, 'alice');
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('This sign-in link has expired or was already used.');
  });

  it('asks for the second factor on a hosted page when the tenant wants one, then returns the code', async () => {
    const jar = new CookieJar();
    const { verifier, challenge } = pkce();
    const authorize = authorizeUrl('pages-mfa', challenge, { idp_hint: 'linkedin' });
    const { next: idpUrl } = await follow(jar, await browserFetch(jar, authorize), authorize);
    const { response, next: mfaPage } = await throughIdp(jar, idpUrl, 'alice');
    expect(response.status).toBe(200);
    expect(new URL(mfaPage).pathname).toMatch(/^\/t\/pages-mfa\/sign-in\/[^/]+\/mfa$/);
    const page = await response.text();
    expect(page).toContain('Verify it is you');
    const csrf = csrfOf(page);
    const mechanism = /name="mechanism" value="([^"]+)"/.exec(page)?.[1] ?? '';
    const post = (body: Record<string, string>) =>
      browserFetch(jar, mfaPage, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ csrf, mechanism, ...body }).toString(),
      });

    expect((await post({ action: 'start_oob', csrf: 'forged' })).status).toBe(403);
    const sent = await post({ action: 'start_oob' });
    expect(await sent.text()).toContain('We sent an email to your address at example.com.');
    const [mail] = await gatehouse.core.mail.outbox();
    expect(mail?.to).toBe('alice@example.com');
    const code = /Enter this code: (\d{6})/.exec(mail?.text ?? '')?.[1] ?? '';

    const wrong = await post({ action: 'answer', answer: code === '000000' ? '111111' : '000000' });
    expect(wrong.status).toBe(400);
    expect(await wrong.text()).toContain('That code is wrong or has expired.');
    const { next } = await follow(jar, await post({ action: 'answer', answer: code }), mfaPage);
    const tokens = await redeem('pages-mfa', clientCode(next), verifier);
    expect(tokens.status).toBe(200);
    const claims = await gatehouse.core.tokens.verifyAccessToken('pages-mfa', tokens.body.access_token ?? '');
    expect(claims.amr).toEqual(['external', 'otp', 'mfa']);
  });

  it('ends the session and the grants a provider sign-in gave when that identity is unlinked', async () => {
    // Alice has a password; her first Facebook sign-in links Facebook to her account (verified email, trusted).
    const alice = await gatehouse.core.users.create('pages-unlink', {
      email: 'alice@example.com',
      password: 'alice password',
      emailVerified: true,
    });
    const jar = new CookieJar();
    const first = pkce();
    const authorize = authorizeUrl('pages-unlink', first.challenge, { idp_hint: 'facebook' });
    const { next: idpUrl } = await follow(jar, await browserFetch(jar, authorize), authorize);
    const { next } = await throughIdp(jar, idpUrl, 'alice');
    const viaIdp = await redeem('pages-unlink', clientCode(next), first.verifier);
    expect(viaIdp.status).toBe(200);
    // Single sign-on: the session the sign-in started answers the next request with a code at once.
    const again = pkce();
    const silent = authorizeUrl('pages-unlink', again.challenge, { prompt: 'none' });
    const viaSession = await redeem(
      'pages-unlink',
      clientCode(locationOf(await browserFetch(jar, silent), silent)),
      again.verifier,
    );
    expect(viaSession.status).toBe(200);

    const unlinked = await fetch(`${gatehouse.url}/admin/tenants/pages-unlink/users/${alice.id}/identities/facebook`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${gatehouse.adminToken}` },
    });
    expect(unlinked.status).toBe(204);

    for (const tokens of [viaIdp, viaSession]) {
      const refreshed = await fetch(`${gatehouse.issuer('pages-unlink')}/token`, {
        method: 'POST',
        body: new URLSearchParams({
          grant_type: 'refresh_token',
          refresh_token: tokens.body.refresh_token ?? '',
          client_id: 'pages-unlink-app',
        }),
      });
      expect(refreshed.status).toBe(400);
      expect(await refreshed.json()).toEqual({
        error: 'invalid_grant',
        error_description: 'the refresh token has been revoked',
      });
    }
    const afterwards = pkce();
    const noSession = authorizeUrl('pages-unlink', afterwards.challenge, { prompt: 'none' });
    const answer = new URL(locationOf(await browserFetch(jar, noSession), noSession));
    expect(answer.searchParams.get('error')).toBe('login_required');
  });
});

describe('POST /t/{tenant}/sign-in/{request} with a password', () => {
  it('tells an account whose reset the operator required to set a new password, and signs nobody in', async () => {
    const email = 'reset-me@pages.example';
    const user = await gatehouse.core.users.create('pages', {
      email,
      emailVerified: true,
      password: 'the old password',
    });
    await gatehouse.core.userCare.requirePasswordReset('pages', user.id, true);
    const jar = new CookieJar();
    const { challenge } = pkce();
    const first = await follow(
      jar,
      await browserFetch(jar, authorizeUrl('pages', challenge)),
      authorizeUrl('pages', challenge),
    );
    const page = await first.response.text();
    const answer = await browserFetch(jar, first.next, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf: csrfOf(page), email, password: 'the old password' }).toString(),
    });
    expect(answer.status).toBe(403);
    expect(answer.headers.get('location')).toBeNull();
    expect(await answer.text()).toContain('This account needs a new password before it can sign in.');
  });
});
